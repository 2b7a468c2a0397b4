import Testing

@testable import GitLabOIDCAWS

@Suite struct LogTextTests {
    @Test func controlCharactersAndLineSeparatorsBecomeSpaces() {
        #expect(LogText.oneLine("a\nb\rc\td\u{7F}e\u{85}f\u{2028}g\u{2029}h\u{1B}[31m") == "a b c d e f g h [31m")
    }

    @Test func longTextIsCut() {
        #expect(LogText.oneLine(String(repeating: "é", count: 10), limit: 4) == "éééé...")
        #expect(LogText.oneLine("abcd", limit: 4) == "abcd")
    }
}
