import Testing

@testable import GitLabOIDCAWS

@Suite struct JSONValueTests {
    @Test func roundTripsJSONKeepingKeyOrder() throws {
        let value = try JSONValue.parse(#"{"b":1,"a":[true,null,"x\u00e9"],"c":{"d":1.5}}"#)
        #expect(value.compactText == #"{"b":1,"a":[true,null,"xé"],"c":{"d":1.5}}"#)
        #expect(throws: JSONError.self) { try JSONValue.parse("{") }
        #expect(throws: JSONError.self) { try JSONValue.parse(#"{"a":1,"a":2}"#) }
    }
}
