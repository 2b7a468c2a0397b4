import Testing

@testable import GitLabOIDCAWS

@Suite struct STSEndpointTests {
    @Test(arguments: [
        ("us-east-1", false, "https://sts.us-east-1.amazonaws.com/"),
        ("eu-central-2", false, "https://sts.eu-central-2.amazonaws.com/"),
        ("cn-north-1", false, "https://sts.cn-north-1.amazonaws.com.cn/"),
        ("cn-northwest-1", true, "https://sts.cn-northwest-1.amazonaws.com.cn/"),
        ("us-west-2", true, "https://sts-fips.us-west-2.amazonaws.com/"),
        ("us-east-1", true, "https://sts-fips.us-east-1.amazonaws.com/"),
        ("us-gov-west-1", true, "https://sts.us-gov-west-1.amazonaws.com/"),
        ("us-gov-east-1", false, "https://sts.us-gov-east-1.amazonaws.com/"),
    ])
    func regionalEndpoints(region: String, fips: Bool, expected: String) {
        #expect(STS.endpoint(region: region, fips: fips, override: nil) == expected)
    }

    @Test func theOverrideWins() {
        #expect(STS.endpoint(region: "eu-west-1", fips: true, override: "https://vpce-1.sts.eu-west-1.vpce.amazonaws.com/")
            == "https://vpce-1.sts.eu-west-1.vpce.amazonaws.com/")
        #expect(STS.endpoint(region: "eu-west-1", fips: false, override: "") == "https://sts.eu-west-1.amazonaws.com/")
    }

    @Test func fipsExistsOnlyInTheUSAndGovCloud() {
        #expect(STS.hasFIPSEndpoint(region: "us-east-2"))
        #expect(STS.hasFIPSEndpoint(region: "us-gov-east-1"))
        #expect(!STS.hasFIPSEndpoint(region: "eu-west-1"))
        #expect(!STS.hasFIPSEndpoint(region: "ca-central-1"))
        #expect(!STS.hasFIPSEndpoint(region: "cn-north-1"))
    }
}
