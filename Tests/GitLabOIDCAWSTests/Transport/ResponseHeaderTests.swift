import Testing

@testable import GitLabOIDCAWS

/// The header fields `CurlTransport` gives each response, from the header lines libcurl passes.
@Suite struct ResponseHeaderTests {
    @Test func fieldsAreFoundByAnyCaseAndTrimmed() {
        let response = HTTPResponse(
            status: 200, body: [],
            headers: HTTPResponse.headerFields(lines: [
                "HTTP/1.1 200 OK", "Date:  Sun, 06 Nov 1994 08:49:37 GMT ", "Content-Type: text/xml",
            ]))
        #expect(response.header("date") == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(response.header("DATE") == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(response.header("content-type") == "text/xml")
        #expect(response.header("x-missing") == nil)
    }

    @Test func onlyTheLastAnswersFieldsCount() {
        let fields = HTTPResponse.headerFields(lines: [
            "HTTP/1.1 200 Connection established", "Date: Mon, 01 Jan 1990 00:00:00 GMT", "Proxy-Agent: test",
            "HTTP/1.1 100 Continue", "HTTP/2 403", "date: Sun, 06 Nov 1994 08:49:37 GMT",
        ])
        #expect(fields == ["date": "Sun, 06 Nov 1994 08:49:37 GMT"])
    }

    @Test func linesWithoutANameAreSkippedAndTheLastRepeatWins() {
        let fields = HTTPResponse.headerFields(lines: ["HTTP/1.1 200 OK", ": no name", "junk", "A: 1", "a: 2", "B:"])
        #expect(fields == ["a": "2", "b": ""])
    }

    @Test func responsesWithoutHeadersHaveNone() {
        #expect(HTTPResponse(status: 204, body: []).headers.isEmpty)
    }
}
