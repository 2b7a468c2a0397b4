import Glibc
import Testing

@testable import GitLabOIDCAWS

@Suite struct TrustStoreTests {
    @Test func theHostBinaryKeepsLibcurlsDefault() {
        #expect(TrustStore.baseCAFile(bundleRoot: nil) { _ in true } == nil)
        #expect(ContainerBundle.root == nil)
        #expect(TransportSettings().baseCAFile == nil)
    }

    @Test func theBundleTakesTheImagesSystemFileFirst() {
        let debian = TrustStore.baseCAFile(bundleRoot: "/opt/b") { _ in true }
        #expect(debian == "/etc/ssl/certs/ca-certificates.crt")
        let rhel = TrustStore.baseCAFile(bundleRoot: "/opt/b") { $0 == "/etc/pki/tls/certs/ca-bundle.crt" }
        #expect(rhel == "/etc/pki/tls/certs/ca-bundle.crt")
        let suse = TrustStore.baseCAFile(bundleRoot: "/opt/b") { $0 == "/etc/ssl/ca-bundle.pem" }
        #expect(suse == "/etc/ssl/ca-bundle.pem")
    }

    @Test func theBundleFallsBackToItsOwnFile() {
        var asked: [String] = []
        let chosen = TrustStore.baseCAFile(bundleRoot: "/mnt/goa") { asked.append($0); return false }
        #expect(chosen == "/mnt/goa/ca-certificates.crt")
        #expect(asked == TrustStore.systemCAFiles)
    }

    @Test func theMappingsCAFileComesAfterTheBase() throws {
        let folder = "/tmp/trust-store-tests-\(getpid())"
        try FileSystem.makeDirectories(folder)
        defer {
            unlink(folder + "/base.pem")
            unlink(folder + "/extra.pem")
            rmdir(folder)
        }
        try FileSystem.writeAtomically(Array("BASE".utf8), to: folder + "/base.pem")
        try FileSystem.writeAtomically(Array("EXTRA".utf8), to: folder + "/extra.pem")
        let combined = TrustStore.combinedCAs(baseCAFile: folder + "/base.pem", caFile: folder + "/extra.pem")
        #expect(combined.map { String(decoding: $0, as: UTF8.self) } == "BASE\nEXTRA")
        #expect(TrustStore.combinedCAs(baseCAFile: folder + "/base.pem", caFile: folder + "/missing.pem") == nil)
    }
}
