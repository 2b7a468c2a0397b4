import GitLabOIDCAWSTestSupport
import Testing

@testable import GitLabOIDCAWS

@Suite struct JobTokenTests {
    @Test func aNonEmptyAWSIDTokenIsATokenWhateverItHolds() {
        #expect(JobToken.isPresent(in: JobEnvironment(["AWS_ID_TOKEN": "not-a-jwt"])))
        #expect(!JobToken.isPresent(in: JobEnvironment(["AWS_ID_TOKEN": ""])))
        #expect(!JobToken.isPresent(in: JobEnvironment(["PATH": "/usr/bin:/bin", "CI_JOB_ID": "1001"])))
    }

    @Test func aJWTInAnyOtherVariableCounts() {
        #expect(JobToken.isPresent(in: JobEnvironment(["MY_TOKEN": TokenFixtures.main, "AWS_ID_TOKEN": ""])))
        #expect(JobToken.isPresent(in: JobEnvironment(["X": TokenFixtures.badSignature])))
    }

    @Test(arguments: [
        ("eyJhbGciOiJSUzI1NiJ9.e30.c2ln", true),
        ("eyJhbGciOiJSUzI1NiJ9.e30.", true),
        ("eyJ0eXAiOiJKV1QifQ.e30.c2ln", false),  // {"typ":"JWT"}: no alg
        ("W10.e30.c2ln", false),  // []: not an object
        ("eyJhbGciOiJSUzI1NiJ9..c2ln", false),
        (".e30.c2ln", false),
        ("eyJhbGciOiJSUzI1NiJ9.e30.c2ln.x", false),
        ("eyJhbGciOiJSUzI1NiJ9.e30", false),
        ("eyJhbGciOiJSUzI1NiJ9.e30.c2l=", false),
        ("1.2.3", false),
        ("registry.example.com/group/image:1.2.3", false),
        ("", false),
    ])
    func theShapeOfACompactJWS(value: String, looksLikeJWT: Bool) {
        #expect(JobToken.looksLikeJWT(value) == looksLikeJWT)
    }
}
