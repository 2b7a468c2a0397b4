import GitLabOIDCAWSTestSupport
import Testing

@testable import GitLabOIDCAWS

/// The checks that need no network: the mapping, `mode`, the CA certificates, the proxy
/// variables and the key-set cache folder.
@Suite struct DoctorMappingTests {
    @Test func aValidMappingPassesWithItsRuleCount() {
        let harness = DoctorHarness()
        harness.serveSTS()
        let check = harness.run().check("mapping")
        #expect(check?.status == .ok)
        #expect(check?.summary == "mapping /etc/gitlab-runner/oidc-aws.toml: valid, 1 rule")
    }

    @Test func warningsAreCountedAndPointToCheck() {
        let harness = DoctorHarness()
        harness.warnings = 2
        harness.serveSTS()
        let report = harness.run()
        let check = report.check("mapping")
        #expect(check?.status == .warn)
        #expect(check?.summary.hasSuffix("valid, 1 rule, 2 warnings") == true)
        #expect(check?.advice?.contains("gitlab-oidc-aws check --config /etc/gitlab-runner/oidc-aws.toml") == true)
        #expect(report.exitCategory == nil, "warnings alone pass")
    }

    @Test func anInvalidMappingListsItsErrorsChecksWhatItCanAndExitsTwo() {
        let harness = DoctorHarness(mapping: nil)
        let report = harness.run()
        #expect(report.names == ["mapping", "ca", "proxy"])
        let check = report.check("mapping")
        #expect(check?.status == .fail)
        #expect(check?.details == ["/etc/gitlab-runner/oidc-aws.toml:3: error: unknown key `regoin`"])
        #expect(check?.summary.contains("1 error") == true)
        #expect(report.exitCategory == .invalidConfiguration)
        #expect(report.mappingInvalid)
        #expect(harness.transport.requests.isEmpty, "nothing to reach without a mapping")
        #expect(report.text.contains("exit 2"))
    }

    @Test func shadowModeIsExplained() {
        let harness = DoctorHarness(mapping: DoctorHarness.mapping { $0.mode = .shadow })
        harness.serveSTS()
        let report = harness.run()
        let check = report.check("mode")
        #expect(check?.status == .warn)
        #expect(check?.summary.contains("calls no STS and writes nothing") == true)
        #expect(check?.advice?.contains("mode = \"enforce\"") == true)
        #expect(report.names.firstIndex(of: "mode") == 1, "right after the mapping")
        #expect(DoctorHarness().run().check("mode") == nil, "nothing to say in enforce mode")
    }
}

@Suite struct DoctorCertificateTests {
    func ca(_ change: (DoctorHarness) -> Void) -> DoctorCheck? {
        let harness = DoctorHarness()
        harness.serveSTS()
        change(harness)
        return harness.run().check("ca")
    }

    @Test func theHostBinaryUsesLibcurlsSystemStore() {
        let check = ca { _ in }
        #expect(check?.status == .ok)
        #expect(
            check?.summary == "CA certificates: the system store /etc/ssl/certs/ca-certificates.crt, 3 certificates")
    }

    @Test func caFileComesOnTopOfTheSystemFolder() {
        let check = ca { harness in
            harness.mapping?.caFile = "/etc/ssl/private-ca.pem"
            harness.files.contents["/etc/ssl/private-ca.pem"] = DoctorHarness.pem(2)
        }
        #expect(check?.status == .ok)
        #expect(
            check?.summary
                == "CA certificates: ca_file /etc/ssl/private-ca.pem (2 certificates) on top of the system's CA folder /etc/ssl/certs"
        )
    }

    @Test func aCAFileWithoutCertificatesOrUnreadableFails() {
        let empty = ca { harness in
            harness.mapping?.caFile = "/etc/ssl/empty.pem"
            harness.files.contents["/etc/ssl/empty.pem"] = "not a certificate\n"
        }
        #expect(empty?.status == .fail)
        #expect(empty?.summary.contains("holds no PEM certificate") == true)
        let missing = ca { harness in harness.mapping?.caFile = "/etc/ssl/gone.pem" }
        #expect(missing?.status == .fail)
        #expect(missing?.summary.contains("cannot be read: No such file or directory") == true)
        #expect(missing?.advice != nil)
    }

    @Test func theBundleNamesTheImagesStoreOrItsOwn() {
        let image = ca { harness in
            harness.trust = TrustSetup(
                baseCAFile: "/etc/pki/tls/certs/ca-bundle.crt", bundleRoot: "/opt/gitlab-oidc-aws", libcurlCAFile: nil,
                libcurlCAFolder: nil)
            harness.files.contents["/etc/pki/tls/certs/ca-bundle.crt"] = DoctorHarness.pem(5)
        }
        #expect(
            image?.summary == "CA certificates: the image's CA bundle /etc/pki/tls/certs/ca-bundle.crt, 5 certificates")
        let own = ca { harness in
            harness.trust = TrustSetup(
                baseCAFile: "/opt/gitlab-oidc-aws/ca-certificates.crt", bundleRoot: "/opt/gitlab-oidc-aws",
                libcurlCAFile: nil, libcurlCAFolder: nil)
            harness.files.contents["/opt/gitlab-oidc-aws/ca-certificates.crt"] = DoctorHarness.pem(140)
        }
        #expect(
            own?.summary
                == "CA certificates: the container bundle's own CA bundle /opt/gitlab-oidc-aws/ca-certificates.crt (the image has none), 140 certificates"
        )
    }

    @Test func aMissingSystemStoreFallsBackToTheFolderOrWarns() {
        let folder = ca { harness in harness.files.contents[DoctorHarness.systemCAFile] = nil }
        #expect(folder?.status == .ok)
        #expect(folder?.summary == "CA certificates: the system's CA folder /etc/ssl/certs")
        let none = ca { harness in
            harness.files.contents[DoctorHarness.systemCAFile] = nil
            harness.trust.libcurlCAFolder = nil
        }
        #expect(none?.status == .warn)
        #expect(none?.advice?.contains("ca-certificates") == true)
    }
}

@Suite struct DoctorProxyTests {
    func report(_ variables: [String: String]) -> DoctorReport {
        let harness = DoctorHarness()
        harness.variables.merge(variables) { $1 }
        harness.serveSTS()
        return harness.run()
    }

    @Test func noProxyMeansDirect() {
        let check = report([:]).check("proxy")
        #expect(check?.status == .ok)
        #expect(check?.summary == "proxy: none set, connections go direct")
    }

    @Test func proxiesAreShownAsSchemeHostAndPortOnly() throws {
        let result = report([
            "HTTPS_PROXY": "http://alice:s3cr3t-pw@proxy.example.com:3128/path", "http_proxy": "proxy2",
            "no_proxy": "localhost,.internal",
        ])
        let check = try #require(result.check("proxy"))
        #expect(check.status == .ok)
        #expect(
            check.summary
                == "proxy: https:// through http://proxy.example.com:3128 (HTTPS_PROXY), http:// through http://proxy2:1080 (http_proxy); no_proxy = localhost,.internal"
        )
        let issuer = try #require(result.check("issuer"))
        #expect(issuer.summary.contains("through proxy http://proxy.example.com:3128"))
        for text in [result.text, result.json.compactText] {
            #expect(!text.contains("s3cr3t-pw") && !text.contains("alice"))
        }
    }

    @Test func noProxyHostsGoDirect() {
        let check = report(["https_proxy": "http://proxy:3128", "NO_PROXY": "example.com"]).check("issuer")
        #expect(check?.summary.contains("(direct, CA /etc/ssl/certs/ca-certificates.crt)") == true)
    }

    @Test func aProxyValueThatIsNoURLFails() {
        let check = report(["HTTPS_PROXY": "http://user:pw@"]).check("proxy")
        #expect(check?.status == .fail)
        #expect(check?.summary.contains("an unusable value") == true)
        #expect(check?.advice?.contains("HTTPS_PROXY") == true)
        #expect(check?.summary.contains("pw") == false)
    }
}

@Suite struct DoctorCacheTests {
    func cache(_ change: (DoctorHarness) -> Void) -> DoctorCheck? {
        let harness = DoctorHarness()
        harness.serveSTS()
        change(harness)
        return harness.run().check("cache")
    }

    @Test func theDefaultFolderUnderHomeIsReported() {
        let check = cache { _ in }
        #expect(check?.status == .ok)
        #expect(
            check?.summary
                == "key-set cache /home/runner/.cache/gitlab-oidc-aws: usable (not read or written by doctor)")
    }

    @Test func aFolderTheHookWouldCreateIsFine() {
        let check = cache { harness in
            harness.mapping?.cacheDirectory = "/var/cache/oidc"
            harness.files.cacheFolders["/var/cache/oidc"] = .creatable(parent: "/var/cache")
        }
        #expect(check?.status == .ok)
        #expect(check?.summary == "key-set cache /var/cache/oidc: missing, the hook creates it in /var/cache")
    }

    @Test func anUnusableFolderOrNoneWarns() {
        let unusable = cache { harness in
            harness.files.cacheFolders["/home/runner/.cache/gitlab-oidc-aws"] = .unusable("not writable")
        }
        #expect(unusable?.status == .warn)
        #expect(unusable?.summary.contains("not usable (not writable)") == true)
        let none = cache { harness in harness.variables = [:] }
        #expect(none?.status == .warn)
        #expect(none?.advice?.contains("cache_dir") == true)
    }

    @Test func theLocalFolderStateCreatesNothing() {
        let directory = TemporaryDirectory()
        let files = LocalDoctorFiles()
        #expect(files.cacheFolderState(directory.path) == .writable)
        #expect(files.cacheFolderState(directory.path + "/a/b") == .creatable(parent: directory.path))
        #expect(TemporaryDirectory.read(directory.path + "/a") == nil, "nothing was created")
        let file = directory.write("plain", "x")
        #expect(files.cacheFolderState(file) == .unusable("\(file) is not a folder"))
        #expect(files.cacheFolderState(file + "/below") != .writable)
    }
}
