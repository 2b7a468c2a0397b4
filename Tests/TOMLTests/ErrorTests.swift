import TOML
import Testing

/// What the common mistakes are told, and where.
@Suite struct ErrorTests {
    /// The error for `text`, which must be refused.
    func error(_ text: String) -> TOMLError? { error(Array(text.utf8)) }

    func error(_ bytes: [UInt8]) -> TOMLError? {
        do {
            _ = try TOMLDocument(parsing: bytes)
            return nil
        } catch {
            return error
        }
    }

    func expect(
        _ text: String, line: Int, column: Int? = nil, saying part: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let error = error(text) else {
            Issue.record("accepted: \(text)", sourceLocation: sourceLocation)
            return
        }
        #expect(error.line == line, "\(error)", sourceLocation: sourceLocation)
        if let column { #expect(error.column == column, "\(error)", sourceLocation: sourceLocation) }
        #expect(error.message.contains(part), "\(error)", sourceLocation: sourceLocation)
    }

    @Test func unclosedStrings() {
        expect("a = 1\nname = \"team 1\nrole = \"x\"\n", line: 2, column: 8, saying: "this string has no closing quote")
        expect("a = 'x\n", line: 1, column: 5, saying: "this string has no closing quote")
        expect("a = 1\nb = \"\"\"\nline\nline\n", line: 2, column: 5, saying: "no closing \"\"\"")
        expect("b = '''\nline", line: 1, column: 5, saying: "no closing '''")
        expect("a = [1,\n2\n", line: 1, column: 5, saying: "this array has no closing `]`")
        expect("a = { b = 1", line: 1, column: 5, saying: "this inline table has no closing `}`")
    }

    @Test func encodingAndControlCharacters() {
        #expect(
            error([0x61, 0x20, 0x3D, 0x20, 0x22, 0xFF, 0x22])?.message.hasPrefix("invalid UTF-8 (byte 0xFF)") == true)
        #expect(error(Array("a = 1\n# ok\n".utf8) + [0x23, 0xC3, 0x28])?.line == 3)
        #expect(
            error([0x61, 0x20, 0x3D, 0x20, 0x22, 0x00, 0x22])?.message.hasPrefix("control character U+0000") == true)
        expect("a = \"x\u{7}\"", line: 1, column: 7, saying: "control character U+0007 is not allowed in a string")
        expect("# note \u{1B}\n", line: 1, saying: "control character U+001B (escape) is not allowed in a comment")
        expect("a = 1\r", line: 1, column: 6, saying: "carriage return (CR) must be followed by a line feed")
        expect("a = \"\\uD800\"", line: 1, saying: "surrogate")
        expect("a = \"\\U00110000\"", line: 1, saying: "beyond the last Unicode code point")
    }

    @Test func duplicates() {
        let text = "[[rule]]\nrole = \"a\"\nname = \"x\"\nrole = \"b\"\n"
        expect(text, line: 4, column: 1, saying: "the key `role` is already defined on line 2")
        expect(
            "[rule.match]\nref = 1\n\n[rule.match]\n", line: 4,
            saying: "the table [rule.match] is already defined on line 1")
        expect("a.b = 1\n[a]\n", line: 2, saying: "already defined by the dotted key on line 1")
        expect("a = { b = 1 }\na.c = 2\n", line: 2, saying: "inline table")
        expect("a = [1]\n[[a]]\n", line: 2, saying: "an array written with brackets")
        expect("[[a]]\n[a]\n", line: 2, saying: "`a` is an array of tables")
        expect("\"a\\u0062\" = 1\nab = 2\n", line: 2, saying: "the key `ab` is already defined on line 1")
    }

    @Test func numbers() {
        expect("n = 012", line: 1, column: 5, saying: "a number must not have leading zeros")
        expect("n = 9223372036854775808", line: 1, saying: "integer 9223372036854775808 is out of range")
        expect("n = -9223372036854775809", line: 1, saying: "out of range")
        expect("n = 0x8000000000000000", line: 1, saying: "out of range")
        expect("n = 1__000", line: 1, saying: "an underscore in a number must be between two digits")
        expect("n = 1.", line: 1, saying: "a decimal point must be followed by digits")
        expect("n = +0x1", line: 1, saying: "cannot have a sign")
        expect("n = 0xG", line: 1, saying: "`G` is not a hexadecimal digit")
        expect("n = 1979-02-29", line: 1, saying: "that month has days 01 to 28")
        expect("n = 07:32", line: 1, saying: "requires the seconds")
        expect("n = 1979-05-27T07:32:00+25:00", line: 1, saying: "offset is out of range")
    }

    @Test func syntax() {
        expect("name \"x\"", line: 1, column: 6, saying: "expected `=` after the key `name`")
        expect("name\n", line: 1, saying: "the key `name` has no value")
        expect("a =\n", line: 1, column: 4, saying: "a value is missing here")
        expect("ref_protected = yes", line: 1, column: 17, saying: "`yes` is not a value: text must be in quotes")
        expect("on = True", line: 1, saying: "booleans are written in lower case")
        expect("= 1", line: 1, column: 1, saying: "a key is missing before `=`")
        expect("a = 1 b = 2", line: 1, column: 7, saying: "expected the end of the line after the value")
        expect("[a]]\n", line: 1, column: 4, saying: "expected the end of the line after the table header")
        expect("[a\n", line: 1, saying: "expected `]` to close the header [a]")
        expect("[]\n", line: 1, saying: "this table header has no name")
        expect("é = 1", line: 1, saying: "the character `é` is not allowed in a bare key")
        expect("a = [1,,2]", line: 1, column: 8, saying: "two commas in a row")
        expect("a = [1 2]", line: 1, column: 8, saying: "expected `,` or `]`")
    }

    @Test func toml11FeaturesAreRefused() {
        expect("a = \"\\e\"", line: 1, saying: "`\\e` is not an escape in TOML 1.0")
        expect("a = \"\\x41\"", line: 1, saying: "`\\x` escapes are not part of TOML 1.0")
        expect("a = { b = 1,\n c = 2 }", line: 1, saying: "must be on one line in TOML 1.0")
        expect("a = { b = 1, }", line: 1, saying: "a comma after the last entry of an inline table")
        expect("t = 07:32", line: 1, saying: "TOML 1.0 requires the seconds")
    }

    @Test func nestingIsLimited() {
        let limit = TOMLDocument.maximumDepth
        #expect(error("a = " + String(repeating: "[", count: limit) + String(repeating: "]", count: limit)) == nil)
        let deep = "a = " + String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
        #expect(error(deep)?.message.contains("nested more than \(limit) levels") == true)
        #expect(error(Array(repeating: "k", count: limit).joined(separator: ".") + " = 1") == nil)
        let header = "[" + Array(repeating: "k", count: limit + 1).joined(separator: ".") + "]"
        #expect(error(header)?.message.contains("nested more than") == true)
        // Far deeper than any stack would allow if parsing recursed.
        #expect(error("a = " + String(repeating: "[", count: 1_000_000))?.line == 1)
        #expect(error("a = " + String(repeating: "{b=", count: 300_000))?.line == 1)
    }

    @Test func theDescriptionHasThePosition() {
        #expect(error("a = 'x")?.description.hasPrefix("line 1, column 5: this string has no closing quote") == true)
    }
}
