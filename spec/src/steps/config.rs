//! Configuration steps: `~/.tcms.conf`, `/etc/tcms.conf` and the environment, through
//! `tcms_api::Config::builder()` with stand-in files and an explicit environment.

use tcms_api::{Config, ConfigError};

use super::{Args, StepFn};
use crate::world::World;

/// The configuration step table.
pub(super) const STEPS: &[(&str, StepFn)] = &[
    (
        r"the config file (~/\.tcms\.conf|/etc/tcms\.conf) contains:",
        write_config_file,
    ),
    (r"no config file exists", no_config_file),
    (r"the plugin loads its configuration", load),
    (r"the configuration is loaded", loaded),
    (r"the server URL is {Q}", base_url),
    (r"the JSON-RPC endpoint is {Q}", endpoint),
    (r"the username is {Q}", username),
    (r"the password is {Q}", password),
    (
        r"the log says the (url|username|password) came from (~/\.tcms\.conf|/etc/tcms\.conf|the environment variable (\w+))",
        came_from,
    ),
    (
        r"loading the configuration fails because (\w+) is not configured",
        fails_missing,
    ),
    (
        r"loading the configuration fails because Kerberos is not supported",
        fails_kerberos,
    ),
    (
        r"the error names the key {Q} and the config files looked at",
        error_names_files,
    ),
];

fn write_config_file(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let path = world.config_file(args.get(1))?;
    let dir = path
        .parent()
        .ok_or_else(|| format!("{} has no directory", path.display()))?;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut text = args.docstring()?.to_owned();
    text.push('\n');
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn no_config_file(world: &mut World, _: &Args<'_>) -> Result<(), String> {
    let (home, etc) = world.config_files()?;
    for path in [home, etc] {
        if path.exists() {
            return Err(format!("{} exists", path.display()));
        }
    }
    Ok(())
}

fn load(world: &mut World, _: &Args<'_>) -> Result<(), String> {
    world.load_config()
}

fn config(world: &World) -> Result<&Config, String> {
    match &world.config {
        None => Err("the configuration was not loaded".into()),
        Some(Ok(config)) => Ok(config),
        Some(Err(e)) => Err(format!("loading the configuration failed: {e}")),
    }
}

fn config_error(world: &World) -> Result<&ConfigError, String> {
    match &world.config {
        None => Err("the configuration was not loaded".into()),
        Some(Ok(config)) => Err(format!(
            "the configuration was loaded: {} as {}",
            config.base_url(),
            config.username()
        )),
        Some(Err(e)) => Ok(e),
    }
}

fn loaded(world: &mut World, _: &Args<'_>) -> Result<(), String> {
    config(world).map(|_| ())
}

fn equal(what: &str, actual: &str, expected: &str) -> Result<(), String> {
    if actual == expected {
        Ok(())
    } else {
        Err(format!("{what} is {actual:?}, expected {expected:?}"))
    }
}

fn base_url(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    equal("the server URL", config(world)?.base_url(), args.get(1))
}

fn endpoint(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    equal("the endpoint", &config(world)?.endpoint(), args.get(1))
}

fn username(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    equal("the username", config(world)?.username(), args.get(1))
}

fn password(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    // The scenario's own made-up password: never a real one.
    if config(world)?.password().expose_secret() == args.get(1) {
        Ok(())
    } else {
        Err("the password is not the expected one".into())
    }
}

fn came_from(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let key = args.get(1);
    let origin = match args.opt(3) {
        Some(var) => format!("environment variable {var}"),
        None => world.config_file(args.get(2))?.display().to_string(),
    };
    let wanted = if key == "password" {
        format!("password: from {origin}")
    } else {
        format!("{key} = ")
    };
    let found = world
        .config_log
        .lines()
        .any(|line| line.contains(&wanted) && line.contains(&format!("from {origin}")));
    if found {
        Ok(())
    } else {
        Err(format!(
            "no log line says {key} came from {origin}; the log:\n{}",
            world.config_log
        ))
    }
}

fn fails_missing(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    match config_error(world)? {
        ConfigError::Missing { variable, .. } if *variable == args.get(1) => Ok(()),
        other => Err(format!(
            "expected {} not configured, the error is: {other}",
            args.get(1)
        )),
    }
}

fn fails_kerberos(world: &mut World, _: &Args<'_>) -> Result<(), String> {
    match config_error(world)? {
        ConfigError::KerberosNotSupported { .. } => Ok(()),
        other => Err(format!("expected Kerberos refused, the error is: {other}")),
    }
}

fn error_names_files(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let (home, etc) = world.config_files()?;
    let error = config_error(world)?;
    let text = error.to_string();
    let ConfigError::Missing { key, tried, .. } = error else {
        return Err(format!("not a missing-value error: {text}"));
    };
    if *key != args.get(1) {
        return Err(format!(
            "the error names the key {key}, expected {}",
            args.get(1)
        ));
    }
    // The files looked at, up to and including the one that exists.
    let expected = if home.exists() {
        vec![home]
    } else {
        vec![home, etc]
    };
    if tried != &expected {
        return Err(format!(
            "the error lists the files {tried:?}, expected {expected:?}"
        ));
    }
    for path in tried {
        if !text.contains(&path.display().to_string()) {
            return Err(format!(
                "the message does not name {}: {text}",
                path.display()
            ));
        }
    }
    if !text.contains(&format!("`{key}`")) {
        return Err(format!("the message does not name the key `{key}`: {text}"));
    }
    Ok(())
}
