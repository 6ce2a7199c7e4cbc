fn main() -> std::process::ExitCode {
    ipgo::cli::main()
}
