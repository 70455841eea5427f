fn main() -> std::process::ExitCode {
    linkus::main()
}
