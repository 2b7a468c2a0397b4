import CFuzzer
import FuzzTargets
import Glibc
import TOMLTestSupport

// Runs libFuzzer on the entry point named by $FUZZ_TARGET (FuzzTargets.all, or toml: the
// TOML reader, TOMLFuzz in its test-support target); the command-line arguments are
// libFuzzer's.

nonisolated(unsafe) var selected: @Sendable ([UInt8]) -> Void = { _ in }

/// libFuzzer's callback (its own `main` also refers to it, so it must exist by this name).
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selected(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

let targets: [(name: String, run: @Sendable ([UInt8]) -> Void)] =
    FuzzTargets.all + [(name: "toml", run: { @Sendable bytes in TOMLFuzz.run(bytes) })]
let name = getenv("FUZZ_TARGET").map { String(cString: $0) } ?? ""
guard let target = targets.first(where: { $0.name == name }) else {
    let names = targets.map(\.name).joined(separator: ", ")
    let message = Array("set FUZZ_TARGET to one of: \(names)\n".utf8)
    _ = write(STDERR_FILENO, message, message.count)
    exit(64)
}
selected = target.run

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
