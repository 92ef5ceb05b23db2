//! Something to test: temperature conversions.

/// Degrees Celsius to degrees Fahrenheit.
pub fn celsius_to_fahrenheit(celsius: f64) -> f64 {
    celsius * 9.0 / 5.0 + 32.0
}

/// Degrees Fahrenheit to degrees Celsius.
pub fn fahrenheit_to_celsius(fahrenheit: f64) -> f64 {
    (fahrenheit - 32.0) * 5.0 / 9.0
}

/// Parses `"21.5C"` or `"70F"` into degrees Celsius.
pub fn parse_celsius(text: &str) -> Result<f64, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("not a temperature: {text:?}"))?;
    match unit {
        "C" | "c" => Ok(value),
        "F" | "f" => Ok(fahrenheit_to_celsius(value)),
        _ => Err(format!("unknown unit in {text:?} (use C or F)")),
    }
}
