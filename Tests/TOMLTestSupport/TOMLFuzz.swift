import TOML

/// The fuzz target `toml` (Fuzz/) and its corpus replay (TOMLTests): parses any bytes and
/// checks what must hold whatever they are. A broken invariant stops the process through
/// `precondition`, which libFuzzer reports as a crash.
public enum TOMLFuzz {
    /// - A refused input has a message, and a position on a line of the input and at most one
    ///   column past that line's end.
    /// - An accepted input has every key and value position pointing at the right character;
    ///   rendered back to TOML it parses again, to the same values; it renders as tagged JSON.
    public static func run(_ input: [UInt8]) {
        do {
            let document = try TOMLDocument(parsing: input)
            let problems = PositionCheck.problems(in: document)
            precondition(problems.isEmpty, "wrong positions: \(problems.prefix(3))")
            let rendered = TOMLRenderer.render(document)
            let reparsed: TOMLDocument
            do {
                reparsed = try TOMLDocument(parsing: Array(rendered.utf8))
            } catch {
                preconditionFailure("the rendered document does not parse: \(error)\n\(rendered)")
            }
            if let difference = TOMLComparison.difference(document.root.value, reparsed.root.value) {
                preconditionFailure("the rendered document reads differently: \(difference)")
            }
            _ = TaggedValue(document).description
        } catch {
            precondition(!error.message.isEmpty, "an error without message")
            let lines = lineLengths(input)
            precondition(error.line >= 1 && error.line <= lines.count, "error line \(error.line) of \(lines.count)")
            precondition(
                error.column >= 1 && error.column <= lines[error.line - 1] + 1,
                "error column \(error.column) on a line of \(lines[error.line - 1]) characters")
        }
    }

    /// The length of each line in Unicode scalars (bytes that do not continue a sequence).
    static func lineLengths(_ input: [UInt8]) -> [Int] {
        var lengths = [0]
        let start = input.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        for byte in input[start...] {
            if byte == 0x0A {
                lengths.append(0)
            } else if byte & 0xC0 != 0x80 {
                lengths[lengths.count - 1] += 1
            }
        }
        return lengths
    }
}
