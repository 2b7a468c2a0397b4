import Foundation
import Testing

@testable import GitLabOIDCAWS

/// AWS's own SigV4 test suite (the `aws4_testsuite` folder of botocore's source
/// distribution), which `./test.sh` downloads into `.build/test-data/` and names in
/// `AWS4_TESTSUITE_DIR`. Every case's canonical request, string to sign, `Authorization`
/// header and signed request are checked; none is skipped.
@Suite struct SigV4SuiteTests {
    static let accessKeyID = "AKIDEXAMPLE"
    static let secretAccessKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    /// 2015-08-30T12:36:00Z, the suite's `X-Amz-Date`.
    static let time: Int64 = 1_440_938_160

    /// Cases whose `.sreq` carries another signature than their `.authz`: the suite's
    /// `get-vanilla-with-session-token.sreq` has get-vanilla's signature (botocore agrees with
    /// the `.authz`). Their signed request is compared with the `.authz` value in place.
    static let signedRequestsWithAnotherSignature: Set<String> = ["get-vanilla-with-session-token"]

    static var suiteDirectory: String {
        if let directory = ProcessInfo.processInfo.environment["AWS4_TESTSUITE_DIR"], !directory.isEmpty {
            return directory
        }
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(4)  // Tests/GitLabOIDCAWSTests/AWS/SigV4SuiteTests.swift
        return parts.joined(separator: "/") + "/.build/test-data/aws4_testsuite"
    }

    /// The case folders (relative paths) that hold a `<name>.req`.
    static func caseNames() throws -> [String] {
        let root = URL(fileURLWithPath: suiteDirectory)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var names: [String] = []
        for case let url as URL in walker where url.pathExtension == "req" {
            let folder = url.deletingLastPathComponent()
            guard folder.lastPathComponent == url.deletingPathExtension().lastPathComponent else { continue }
            names.append(String(folder.path.dropFirst(root.path.count + 1)))
        }
        return names.sorted()
    }

    /// A raw request file: request line, headers (continuation lines folded in), body.
    struct RawRequest {
        var method: String
        var target: String
        var headers: [SigV4.Header]
        var body: [UInt8]

        init(_ text: String) throws {
            let normalised = text.replacingOccurrences(of: "\r\n", with: "\n")
            let (head, body) =
                normalised.range(of: "\n\n").map { (String(normalised[..<$0.lowerBound]), String(normalised[$0.upperBound...])) }
                ?? (normalised, "")
            var lines = head.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let requestLine = lines.removeFirst()
            let first = try #require(requestLine.firstIndex(of: " "))
            let last = try #require(requestLine.lastIndex(of: " "))
            method = String(requestLine[..<first])
            target = String(requestLine[requestLine.index(after: first)..<last])
            headers = []
            for line in lines where !line.isEmpty {
                if line.first == " " || line.first == "\t", !headers.isEmpty {
                    headers[headers.count - 1].value += " " + line
                } else {
                    let colon = try #require(line.firstIndex(of: ":"))
                    headers.append(SigV4.Header(String(line[..<colon]), String(line[line.index(after: colon)...])))
                }
            }
            self.body = Array(body.utf8)
        }

        /// Request line, headers as (lower-cased name, trimmed value) in order, body.
        var comparable: [String] {
            ["\(method) \(target)"] + headers.map { "\($0.name.lowercased()):\(SigV4.collapsedSpace($0.value))" }
                + [String(decoding: body, as: UTF8.self)]
        }
    }

    struct Case {
        let name: String
        let request: RawRequest
        let canonicalRequest: String
        let stringToSign: String
        let authorization: String
        let signedRequest: RawRequest

        init(_ name: String) throws {
            let base = "\(SigV4SuiteTests.suiteDirectory)/\(name)/\(name.split(separator: "/").last!)"
            func read(_ suffix: String) throws -> String {
                try String(contentsOfFile: base + suffix, encoding: .utf8).replacingOccurrences(of: "\r", with: "")
            }
            self.name = name
            request = try RawRequest(read(".req"))
            canonicalRequest = try read(".creq")
            stringToSign = try read(".sts")
            authorization = try read(".authz")
            signedRequest = try RawRequest(read(".sreq"))
        }

        /// The session token the case signs with: the one in its canonical request.
        var sessionToken: String? {
            canonicalRequest.split(separator: "\n").first { $0.hasPrefix("x-amz-security-token:") }
                .map { String($0.dropFirst("x-amz-security-token:".count)) }
        }
    }

    /// Without the suite `signsLikeAWS` has no cases; this test then fails.
    @Test func theSuiteIsThere() throws {
        let names = try SigV4SuiteTests.caseNames()
        #expect(
            names.count >= 30,
            "AWS's SigV4 test suite is missing at \(SigV4SuiteTests.suiteDirectory): run ./test.sh (it downloads it), or set AWS4_TESTSUITE_DIR"
        )
    }

    @Test(arguments: (try? SigV4SuiteTests.caseNames()) ?? [])
    func signsLikeAWS(name: String) throws {
        let suiteCase = try Case(name)
        let credentials = SigV4.Credentials(
            accessKeyID: SigV4SuiteTests.accessKeyID, secretAccessKey: SigV4SuiteTests.secretAccessKey,
            sessionToken: suiteCase.sessionToken)
        let host = try #require(suiteCase.request.headers.first { $0.name.lowercased() == "host" }?.value)
        let signature = SigV4.sign(
            method: suiteCase.request.method, url: "https://\(host)\(suiteCase.request.target)",
            headers: suiteCase.request.headers, body: suiteCase.request.body, credentials: credentials,
            region: "us-east-1", service: "service", time: SigV4SuiteTests.time)
        #expect(signature.canonicalRequest == suiteCase.canonicalRequest, "\(name): canonical request")
        #expect(signature.stringToSign == suiteCase.stringToSign, "\(name): string to sign")
        #expect(signature.authorization == suiteCase.authorization, "\(name): Authorization")

        // The signed request: the request's headers with the signer's set (the date the
        // request already had, the token when signed, Authorization).
        var signed = suiteCase.request
        let setNames = Set(signature.headersToSet.map { $0.name.lowercased() })
        signed.headers = signed.headers.filter { !setNames.contains($0.name.lowercased()) }
        signed.headers += signature.headersToSet.filter { $0.name != "Authorization" }
        if name.hasSuffix("post-sts-header-after") {
            // This case adds the token after signing, outside the signature; the hook's
            // signer always signs it, as STS requires, so the case signs without one.
            let token = try #require(suiteCase.signedRequest.headers.first { $0.name == "X-Amz-Security-Token" })
            signed.headers.append(token)
        }
        signed.headers += signature.headersToSet.filter { $0.name == "Authorization" }
        var expected = suiteCase.signedRequest
        if SigV4SuiteTests.signedRequestsWithAnotherSignature.contains(name) {
            for index in expected.headers.indices where expected.headers[index].name == "Authorization" {
                expected.headers[index].value = suiteCase.authorization
            }
        }
        #expect(signed.comparable.sorted() == expected.comparable.sorted(), "\(name): signed request")
    }
}
