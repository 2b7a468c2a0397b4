import Testing

@testable import GitLabOIDCAWS

@Suite struct TimestampTests {
    @Test func formatsAndParsesRFC3339() {
        #expect(Timestamp.format(0) == "1970-01-01T00:00:00Z")
        #expect(Timestamp.format(1_795_000_000) == "2026-11-18T11:06:40Z")
        #expect(Timestamp.parse("2026-11-18T11:06:40Z") == 1_795_000_000)
        #expect(Timestamp.parse("2026-11-18T11:06:40.999999Z") == 1_795_000_000)
        #expect(Timestamp.parse("2026-11-18T12:06:40+01:00") == 1_795_000_000)
        #expect(Timestamp.parse("2024-02-29T00:00:00Z") == 1_709_164_800)
        for bad in ["", "2026-11-18", "2026-11-18T11:06:40", "2026-13-18T11:06:40Z", "2026-11-18T11:06:40.Z", "x026-11-18T11:06:40Z"] {
            #expect(Timestamp.parse(bad) == nil)
        }
    }
}
