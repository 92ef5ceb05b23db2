//! The inputs of a file-based plugin: files, or standard input spooled to a temporary file so
//! that it can be read twice (once to check everything, once to report).

use std::path::{Path, PathBuf};

/// One input: a file, or standard input saved first.
#[derive(Debug)]
pub struct Input {
    path: PathBuf,
    name: String,
    stdin: bool,
    _spool: Option<tempfile::TempPath>,
}

impl Input {
    /// Where to read it.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The name for messages: the path as given, or `<stdin>`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// True for standard input.
    pub fn is_stdin(&self) -> bool {
        self.stdin
    }

    /// Opens the input for reading (buffered).
    pub fn open(&self) -> std::io::Result<std::io::BufReader<std::fs::File>> {
        std::fs::File::open(&self.path).map(|f| std::io::BufReader::with_capacity(256 * 1024, f))
    }
}

/// The inputs named on the command line: files, or `-` (or nothing) for standard input.
///
/// A file that cannot be opened is an input error naming it; standard input is copied to a
/// temporary file first.
pub fn resolve(paths: &[PathBuf]) -> Result<Vec<Input>, String> {
    let stdin_only = [PathBuf::from("-")];
    let paths = if paths.is_empty() {
        &stdin_only[..]
    } else {
        paths
    };
    let mut inputs = Vec::with_capacity(paths.len());
    for path in paths {
        if path.as_os_str() == "-" {
            let mut spool = tempfile::NamedTempFile::new()
                .map_err(|e| format!("<stdin>: cannot create a temporary file: {e}"))?;
            std::io::copy(&mut std::io::stdin().lock(), &mut spool)
                .map_err(|e| format!("<stdin>: cannot read: {e}"))?;
            let spool = spool.into_temp_path();
            inputs.push(Input {
                path: spool.to_path_buf(),
                name: "<stdin>".into(),
                stdin: true,
                _spool: Some(spool),
            });
        } else {
            std::fs::File::open(path)
                .map_err(|e| format!("{}: cannot open: {e}", path.display()))?;
            inputs.push(Input {
                path: path.clone(),
                name: path.display().to_string(),
                stdin: false,
                _spool: None,
            });
        }
    }
    Ok(inputs)
}
