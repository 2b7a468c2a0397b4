/// Text from outside (servers, files, tokens) made safe for one line of the job log.
public enum LogText {
    /// `text` as one line: control characters (C0, DEL, C1) and Unicode line and paragraph
    /// separators become spaces, and text longer than `limit` Unicode scalars is cut, ending
    /// in `...`. A hostile answer can then neither forge extra log lines nor flood the log.
    public static func oneLine(_ text: String, limit: Int = 1024) -> String {
        var scalars = String.UnicodeScalarView()
        var count = 0
        for scalar in text.unicodeScalars {
            if count == limit {
                scalars.append(contentsOf: "...".unicodeScalars)
                break
            }
            scalars.append(isLineBreaking(scalar) ? " " : scalar)
            count += 1
        }
        return String(scalars)
    }

    /// A number of seconds without a needless fraction: `2`, `0.5`, `1.25` (milliseconds at most).
    public static func seconds(_ value: Double) -> String {
        let milliseconds = Int((value * 1000).rounded())
        if milliseconds % 1000 == 0 { return String(milliseconds / 1000) }
        var fraction = String(milliseconds % 1000)
        fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(milliseconds / 1000).\(fraction)"
    }

    /// Whether `scalar` could end a line or control a terminal.
    static func isLineBreaking(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029: return true
        default: return false
        }
    }
}
