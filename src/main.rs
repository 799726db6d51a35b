fn main() {
    std::process::exit(modelvet::cli::run(std::env::args_os().collect()));
}
