use clap::Parser;

fn main() {
    let cli = wsalint::cli::Cli::parse();
    std::process::exit(wsalint::run::main(cli));
}
