import GitLabOIDCAWSTestSupport
import Testing

@testable import GitLabOIDCAWS

@Suite struct RoleARNTests {
    @Test func roleARNs() {
        let arn = RoleARN("arn:aws-cn:iam::111122223333:role/path/to/deploy")
        #expect(arn?.partition == "aws-cn")
        #expect(arn?.name == "deploy")
        #expect(arn?.description == "arn:aws-cn:iam::111122223333:role/path/to/deploy")
        #expect(RoleARN("arn:aws:iam::111122223333:user/x") == nil)
        #expect(RoleARN("arn:aws:iam::11112222333:role/x") == nil)
        #expect(RoleARN("arn:aws:iam::111122223333:role/") == nil)
        #expect(RoleARN("arn:aws:iam::111122223333:role/a b") == nil)
        #expect(RoleARN("arn:aws:iam::111122223333:role/path/") == nil)
        #expect(RoleARN("arn:aws:iam::111122223333:role/" + String(repeating: "n", count: 64))?.name.count == 64)
        #expect(RoleARN("arn:aws:iam::111122223333:role/p/" + String(repeating: "n", count: 65)) == nil)
        #expect(RoleARN("arn:aws:iam:x:111122223333:role/r") == nil)
        #expect(RoleARN("arn:aws-eu:iam::111122223333:role/r") == nil)
        #expect(RoleARN("arn:aws:iam::111122223333:role/a:b") == nil)
        #expect(RoleARN("arn:aws:iam::111122223333") == nil)
        #expect(RoleARN("arn:aws:iam::1111222233é3:role/r") == nil)
        #expect(AWSRegion.isValid("us-gov-west-1") && AWSRegion.isValid("eu-central-2") && !AWSRegion.isValid("us-east"))
    }
}

@Suite struct RoleARNProblemTests {
    func problem(_ text: String) -> RoleARN.Problem? { RoleARN.problem(text) }

    @Test func eachProblemIsNamed() {
        #expect(problem("arn:aws:iam::111122223333:role/deploy") == nil)
        #expect(problem("deploy") == .notAnARN)
        #expect(problem("arn:aws-eu:iam::111122223333:role/r") == .unknownPartition)
        #expect(problem("arn:aws:s3:::bucket/key") == .notIAM)
        #expect(problem("arn:aws:iam:eu-west-1:111122223333:role/r") == .notIAM)
        #expect(problem("arn:aws:iam::12345:role/r") == .accountLength(5))
        #expect(problem("arn:aws:iam::1111222233334:role/r") == .accountLength(13))
        #expect(problem("arn:aws:iam::11112222333x:role/r") == .accountNotDigits)
        #expect(problem("arn:aws:iam::111122223333:user/r") == .notARole)
        #expect(problem("arn:aws:iam::111122223333:role/a b") == .badRoleName)
        #expect(RoleARN.Problem.accountLength(5).explanation.contains("account id of 5 characters"))
    }

    /// The one-pass check of the common form agrees with the field-by-field one.
    @Test func theFastPathAgreesWithTheGeneralCheck() {
        var generator = SeededGenerator(state: 5)
        let pieces = [
            "arn:", "aws", ":", "iam", "::", "111122223333", ":role/", "role/", "deploy", "/", "a b", "é", "-", "x",
            "1111222233", "aws-cn", "::::", "path/",
        ]
        var cases = ["arn:aws:iam::111122223333:role/" + String(repeating: "n", count: 65)]
        for _ in 0..<5000 {
            cases.append((0..<Int.random(in: 1...9, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined())
            cases.append("arn:aws:iam::111122223333:role/" + (0..<Int.random(in: 0...4, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined())
        }
        for text in cases {
            var copy = text
            let general = copy.withUTF8 { RoleARN.generalProblem(in: $0) }
            #expect(problem(text) == general, "\(text)")
        }
    }
}
