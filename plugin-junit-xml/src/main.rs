//! `tcms-junit-xml`: report junit.xml files into Kiwi TCMS.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tcms_api::report::PluginInfo;
use tcms_cli::{CliError, CommonArgs, Plugin, inputs};
use tcms_junit_xml::{ExpectedFailure, JunitParser, SummaryTemplate};

/// Report junit.xml results into Kiwi TCMS: every file goes into one TestRun.
///
/// Reads the files (or standard input for `-` or no file), checks all of them, then creates or
/// reuses the Product, Version, Build, TestPlan and TestRun named by the environment and
/// records one execution per test case with its status, dates and failure text.
#[derive(Debug, Parser)]
#[command(
    name = "tcms-junit-xml",
    version,
    after_long_help = concat!(
        "Examples:\n",
        "  TCMS_PRODUCT=myapp TCMS_PRODUCT_VERSION=main TCMS_BUILD=$CI_PIPELINE_ID \\\n",
        "    tcms-junit-xml target/nextest/ci/junit.xml\n",
        "  pytest --junitxml=/dev/stdout | tcms-junit-xml\n",
        "  tcms-junit-xml --dry-run -v reports/*.xml\n",
        "  tcms-junit-xml --summary-template '${suitename}::${name}' report.xml\n\n",
    ),
)]
struct Args {
    /// junit.xml files; `-` or none reads standard input.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,

    /// How test case names are made; variables `classname`, `name`, `suitename`, `file`
    /// (the Python plugin's default, so existing cases are reused).
    #[arg(long, value_name = "TEMPLATE", default_value = SummaryTemplate::DEFAULT)]
    summary_template: String,

    /// Do not add `<properties>` of enclosing suites to each case.
    #[arg(long)]
    no_suite_properties: bool,

    /// What pytest's expected failures (xfail) are reported as: `waived` (as every skip, the
    /// official plugin's way) or `paused` (a known failure, as TAP's `# TODO`).
    #[arg(long, value_name = "STATUS", default_value = "waived")]
    xfail: Xfail,

    #[command(flatten)]
    common: CommonArgs,
}

impl Plugin for Args {
    fn info() -> PluginInfo {
        PluginInfo::new("tcms-junit-xml", env!("CARGO_PKG_VERSION"), "[junit.xml]")
    }

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn main_impl(self) -> Result<u8, CliError> {
        let template = SummaryTemplate::parse(&self.summary_template)
            .map_err(|e| CliError::Input(format!("--summary-template: {e}")))?;
        let inputs = inputs::resolve(&self.files).map_err(CliError::Input)?;
        let suite_properties = !self.no_suite_properties;
        let xfail = match self.xfail {
            Xfail::Waived => ExpectedFailure::Waived,
            Xfail::Paused => ExpectedFailure::Paused,
        };
        let parse = |input: &inputs::Input| {
            let reader = input
                .open()
                .map_err(|e| format!("{}: cannot open: {e}", input.name()))?;
            let base_dir = (!input.is_stdin())
                .then(|| input.path().parent().map(std::path::Path::to_owned))
                .flatten();
            Ok(JunitParser::new(reader, input.name().to_owned())
                .with_template(template.clone())
                .with_suite_properties(suite_properties)
                .with_expected_failures(xfail)
                .with_base_dir(base_dir))
        };
        tcms_cli::block_on(tcms_cli::report_files(
            Self::info(),
            &self.common,
            &inputs,
            parse,
            || None,
        ))
    }
}

/// The values of `--xfail`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Xfail {
    Waived,
    Paused,
}

fn main() -> ExitCode {
    tcms_cli::run::<Args>()
}
