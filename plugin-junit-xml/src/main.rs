//! `tcms-junit-xml`: report junit.xml files into Kiwi TCMS.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use plugin_junit_xml::{JunitParser, SummaryTemplate};
use tcms_api::cli::{self, CommonArgs, exit};
use tcms_api::report::PluginInfo;

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

    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    let command = <Args as clap::CommandFactory>::command();
    let examples = command
        .get_after_long_help()
        .map(|s| s.to_string())
        .unwrap_or_default();
    let command = command.after_long_help(format!("{examples}{}", cli::ENV_HELP));
    let args = match <Args as clap::FromArgMatches>::from_arg_matches(&command.get_matches()) {
        Ok(a) => a,
        Err(e) => e.exit(),
    };
    cli::init_logging(args.common.verbose);
    ExitCode::from(run(args))
}

fn run(args: Args) -> u8 {
    let template = match SummaryTemplate::parse(&args.summary_template) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("tcms-junit-xml: --summary-template: {e}");
            return exit::INPUT;
        }
    };
    let inputs = match cli::resolve_inputs(&args.files) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("tcms-junit-xml: {e}");
            return exit::INPUT;
        }
    };
    let plugin = PluginInfo::new("tcms-junit-xml", env!("CARGO_PKG_VERSION"), "[junit.xml]");
    let suite_properties = !args.no_suite_properties;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tcms-junit-xml: cannot start: {e}");
            return exit::FAILURE;
        }
    };
    runtime.block_on(cli::run_files(
        plugin,
        &args.common,
        &inputs,
        |input| {
            let reader = input
                .open()
                .map_err(|e| format!("{}: cannot open: {e}", input.name))?;
            Ok(JunitParser::new(reader, input.name.clone())
                .with_template(template.clone())
                .with_suite_properties(suite_properties))
        },
        || None,
    ))
}
