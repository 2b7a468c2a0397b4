import Testing

import GitLabOIDCAWS

@testable import FuzzTargets

/// The signed seed tokens of the `token` target (made by `Fuzz/seeds/make_token_seeds.py`
/// with Python's `cryptography`) verify, or are refused, as their names say: the whole
/// verification path on tokens from another implementation, dates at the edges included.
@Suite struct SeedTokenTests {
    static let expectations: [(name: String, outcome: String)] = [
        ("valid", "ok"), ("valid-rs384", "ok"), ("valid-rs512", "ok"), ("valid-no-kid", "ok"),
        ("valid-fractional-exp", "ok"), ("valid-environment", "ok"), ("aud-list", "ok"),
        ("exp-int64-max", "invalid exp"), ("exp-int64-min", "invalid exp"), ("nbf-int64-min", "invalid nbf"),
        ("nbf-int64-max", "invalid nbf"), ("iat-int64-max", "invalid iat"), ("exp-1e300", "invalid exp"),
        ("exp-minus-1e300", "invalid exp"), ("exp-just-past-int64", "invalid exp"), ("exp-year-9999", "ok"),
        ("exp-year-10000", "invalid exp"), ("exp-string", "invalid exp"), ("exp-null", "missing exp"),
        ("expired", "expired"), ("not-yet-valid", "not yet valid"), ("unknown-kid", "unknown kid"),
        ("other-issuer", "wrong issuer"),
    ]

    static func outcome(of error: Error) -> String {
        switch error as? TokenError {
        case let .invalidDate(claim, _)?: return "invalid \(claim)"
        case let .missingTime(claim)?: return "missing \(claim)"
        case .expired?: return "expired"
        case .notYetValid?: return "not yet valid"
        case .unknownKeyID?: return "unknown kid"
        case .wrongIssuer?: return "wrong issuer"
        default: return "\(error)"
        }
    }

    @Test(arguments: expectations)
    func seedVerifiesAsItsNameSays(name: String, outcome: String) throws {
        let token = String(
            decoding: try FileSystem.read("\(FuzzCorpusTests.corpus)/token/seed-signed-\(name)"), as: UTF8.self)
        let issuer = LocalIssuer(document: LocalIssuer.seedDocument)
        do {
            let verified = try issuer.verifier().verify(token)
            #expect(outcome == "ok", "\(name) verified")
            #expect(verified.claims.string("project_path") == "group/project")
        } catch {
            #expect(SeedTokenTests.outcome(of: error) == outcome, "\(name): \(error)")
        }
    }

    @Test func everySignedSeedHasAnExpectation() {
        let names = FuzzCorpusTests.files(in: "\(FuzzCorpusTests.corpus)/token")
            .map { String($0.split(separator: "/").last!) }
            .filter { $0.hasPrefix("seed-signed-") }
            .map { String($0.dropFirst("seed-signed-".count)) }
        #expect(Set(names) == Set(SeedTokenTests.expectations.map(\.name)))
    }

    @Test func aSeedWithAnotherSignatureIsRefused() {
        var parts = SeedKeySet.validToken.split(separator: ".").map(String.init)
        var signature = Array(parts[2].utf8)
        signature[100] = signature[100] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        parts[2] = String(decoding: signature, as: UTF8.self)
        #expect(throws: TokenError.badSignature) {
            try LocalIssuer(document: LocalIssuer.seedDocument).verifier().verify(parts.joined(separator: "."))
        }
    }
}
