//! Plain-text tables: columns padded to their widest cell, numbers aligned right.

/// A table with a header row.
#[derive(Debug, Default)]
pub(crate) struct Table {
    header: Vec<&'static str>,
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// Columns named `header`; those marked in `right` are aligned right.
    pub(crate) fn new(header: &[(&'static str, bool)]) -> Self {
        Self {
            header: header.iter().map(|(h, _)| *h).collect(),
            right: header.iter().map(|(_, r)| *r).collect(),
            rows: Vec::new(),
        }
    }

    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The lines, without trailing spaces.
    pub(crate) fn lines(&self) -> Vec<String> {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let header: Vec<String> = self.header.iter().map(|h| (*h).to_owned()).collect();
        std::iter::once(&header)
            .chain(&self.rows)
            .map(|row| {
                let cells: Vec<String> = (0..columns)
                    .map(|i| {
                        let cell = row.get(i).map_or("", String::as_str);
                        let pad = widths[i].saturating_sub(cell.chars().count());
                        if self.right[i] {
                            format!("{}{cell}", " ".repeat(pad))
                        } else {
                            format!("{cell}{}", " ".repeat(pad))
                        }
                    })
                    .collect();
                cells.join("  ").trim_end().to_owned()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_and_aligns() {
        let mut t = Table::new(&[("test", false), ("flips", true)]);
        t.row(vec!["it::a".into(), "3".into()]);
        t.row(vec!["b".into(), "12".into()]);
        assert_eq!(t.lines(), ["test   flips", "it::a      3", "b         12"]);
    }
}
