import Testing

import GitLabOIDCAWS

@testable import FuzzTargets

/// The seeds of the answer targets reach the code behind the parsers: a fuzzer that starts
/// only from refused inputs would rarely find its way past the first checks.
@Suite struct SeedCoverageTests {
    func seed(_ target: String, _ name: String) throws -> (selector: UInt8, body: [UInt8]) {
        let bytes = try FileSystem.read("\(FuzzCorpusTests.corpus)/\(target)/\(name)")
        return (bytes.first ?? 0, Array(bytes.dropFirst()))
    }

    @Test(arguments: ["seed-web-identity", "seed-chained", "seed-deny-anyone", "seed-max-session-huge"])
    func iamSeedsReachTheTrustPolicy(name: String) throws {
        let (selector, body) = try seed("iam-get-role", name)
        #expect(selector == 0)
        let role = try IAM.parseGetRoleAnswer(status: 200, body: body, roleARN: FuzzTargets.auditedRole)
        #expect(!role.trustPolicy.statements.isEmpty)
    }

    @Test(arguments: [
        ("seed-ok", STSAction.assumeRoleWithWebIdentity), ("seed-expiration-9999", .assumeRoleWithWebIdentity),
        ("seed-expiration-year-0000", .assumeRoleWithWebIdentity), ("seed-assume-role-ok", .assumeRole),
        ("seed-assume-role-expiration-9999", .assumeRole),
    ])
    func stsSeedsReachTheCredentials(name: String, action: STSAction) throws {
        let (selector, body) = try seed("sts-answer", name)
        #expect((selector >= 128) == (action == .assumeRole) && selector % 6 == 0)
        _ = try STS.parseAnswer(status: 200, body: body, action: action)
    }

    @Test func theValidCacheSeedIsUsed() throws {
        let (selector, body) = try seed("key-set-cache", "seed-valid")
        let entry = KeySetCacheEntry.decode(
            body, ownership: FileSystem.Ownership(owner: 1000, permissions: 0o600), user: 1000,
            issuer: FuzzTargets.issuer, configuredKeySetURL: nil, now: FuzzTargets.now)
        #expect(selector == 0)
        #expect((try? entry.get()) != nil)
    }
}
