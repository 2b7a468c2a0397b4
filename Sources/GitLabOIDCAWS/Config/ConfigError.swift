/// One finding about a mapping file, printed like a compiler message:
/// `FILE:LINE: error: message`, or `FILE: error: message` for a finding about the file as a
/// whole (one that cannot be read: `line` 0).
public struct ConfigDiagnostic: Equatable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable {
        case error
        case warning
        /// Information that needs no change to the file, such as what a trust policy cannot enforce.
        case note
    }

    public let file: String
    /// The line, from 1; 0 for the file as a whole.
    public let line: Int
    public let severity: Severity
    public let message: String

    public init(file: String, line: Int, severity: Severity, message: String) {
        self.file = file
        self.line = line
        self.severity = severity
        self.message = message
    }

    public var description: String {
        line > 0 ? "\(file):\(line): \(severity.rawValue): \(message)" : "\(file): \(severity.rawValue): \(message)"
    }
}

extension Array where Element == ConfigDiagnostic {
    /// The findings ordered by line; findings on one line keep their order.
    public func sortedByLine() -> [ConfigDiagnostic] {
        enumerated().sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }.map(\.element)
    }
}

/// The mapping file could not be loaded: unreadable, not TOML, or not a valid mapping.
/// `hook` exits 2 and changes nothing.
public struct ConfigError: UserFacingError, Equatable, Sendable {
    /// Every error found (at least one), in file order; warnings found on the way too.
    public let diagnostics: [ConfigDiagnostic]

    public init(diagnostics: [ConfigDiagnostic]) {
        self.diagnostics = diagnostics
    }

    public var errors: [ConfigDiagnostic] { diagnostics.filter { $0.severity == .error } }

    public var exitCategory: ExitCategory { .invalidConfiguration }
    public var responsibility: Responsibility { .runnerAdministrator }

    public var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}

/// Suggests the known name closest to a misspelt one ("did you mean ...?").
public enum Suggestion {
    /// The candidate nearest to `word` by edit distance, when it is close enough to be a typo.
    public static func closest(to word: String, among candidates: [String]) -> String? {
        let limit = max(1, min(3, word.count / 3))
        var best: (String, Int)?
        for candidate in candidates {
            let distance = editDistance(Array(word.lowercased().utf8), Array(candidate.utf8))
            if distance <= limit, distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
        }
        return best?.0
    }

    /// Levenshtein distance with adjacent transpositions counted as one edit.
    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previousPrevious = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previousPrevious[j - 2] + 1)
                }
            }
            previousPrevious = previous
            previous = current
        }
        return previous[b.count]
    }
}
