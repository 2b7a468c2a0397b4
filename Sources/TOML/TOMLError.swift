/// Why a document is not valid TOML 1.0, and where.
///
/// `message` is a sentence for the person who edits the file ("this string has no closing
/// quote"); `line` and `column` (1-based, columns in Unicode scalars) point at the problem,
/// or for a string or table that is never closed, at its start. `description` reads
/// `line 3, column 7: <message>`; a caller that names the file builds its own prefix from
/// `line` and `message`.
public struct TOMLError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The line of the problem, from 1.
    public let line: Int
    /// The column of the problem on that line, from 1, in Unicode scalars (a tab counts one).
    public let column: Int
    /// What is wrong, in plain words, without the position.
    public let message: String

    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "line \(line), column \(column): \(message)" }
}
