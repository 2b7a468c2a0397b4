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
