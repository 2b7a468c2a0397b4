import Testing

@testable import GitLabOIDCAWS

/// The mapping's `ca_file` is read by the HTTPS calls, not by the loader: a file they cannot
/// use is an error that names it, and retrying cannot help.
@Suite struct CAFileErrorTests {
    @Test func anUnusableCAFileIsNamedAndNotRetried() {
        let error = TransportError(
            kind: .caFile(path: "/etc/ssl/private-ca.pem"), url: "https://sts.us-east-1.amazonaws.com/",
            detail: "Problem with the SSL CA cert (path? access rights?)")
        #expect(!error.isTransient)
        #expect(error.description.hasPrefix("cannot use the mapping's ca_file /etc/ssl/private-ca.pem for https://sts.us-east-1.amazonaws.com/"))
        #expect(error.description.contains("`gitlab-oidc-aws check` reports it"))
    }
}
