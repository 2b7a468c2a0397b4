import Glibc
import TOML
import TOMLTestSupport

// A toml-test style decoder for the differential test (Tests/integration/
// test_toml_differential.py). Test code, never part of the product.
//
//   toml-decoder            one document on stdin; prints its tagged JSON, or the error on
//                           stderr and exits 1
//   toml-decoder --batch    documents on stdin, each as `LENGTH\n` then LENGTH bytes; prints one
//                           line per document: `ok JSON` or `error LINE:COLUMN: MESSAGE`

func readAll() -> [UInt8] {
    var input: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { return input }
        input.append(contentsOf: chunk[0..<count])
    }
}

func write(_ text: String, to descriptor: Int32) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeMutableBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
        if written < 0 && errno == EINTR { continue }
        if written <= 0 { exit(2) }
        offset += written
    }
    bytes.removeAll()
}

func decode(_ bytes: [UInt8]) -> Result<String, TOMLError> {
    do {
        return .success(TaggedValue(try TOMLDocument(parsing: bytes)).description)
    } catch {
        return .failure(error)
    }
}

let input = readAll()
if CommandLine.arguments.dropFirst().first == "--batch" {
    var output = ""
    var index = 0
    while index < input.count {
        guard let newline = input[index...].firstIndex(of: 0x0A),
            let length = Int(String(decoding: input[index..<newline], as: UTF8.self)),
            length >= 0, newline + 1 + length <= input.count
        else {
            write("toml-decoder: malformed batch input at byte \(index)\n", to: STDERR_FILENO)
            exit(2)
        }
        switch decode(Array(input[newline + 1..<newline + 1 + length])) {
        case .success(let json): output += "ok \(json)\n"
        case .failure(let error):
            output += "error \(error.line):\(error.column): \(error.message.replacingNewlines())\n"
        }
        index = newline + 1 + length
    }
    write(output, to: STDOUT_FILENO)
} else {
    switch decode(input) {
    case .success(let json):
        write(json + "\n", to: STDOUT_FILENO)
    case .failure(let error):
        write("\(error)\n", to: STDERR_FILENO)
        exit(1)
    }
}

extension String {
    func replacingNewlines() -> String { String(map { $0 == "\n" ? " " : $0 }) }
}
