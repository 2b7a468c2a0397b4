import CSupport

/// Whether this process runs from the container bundle (`install.sh --bundle`), and where it is.
///
/// The bundle's launcher starts the program with the bundle's own dynamic loader and
/// libraries; the C start-up code (`process.c`) sees that the C library was loaded from
/// `ROOT/lib`, next to `ROOT/lib/gitlab-oidc-aws`. No environment variable decides it, so a job
/// cannot make the host binary believe it is the bundle.
public enum ContainerBundle {
    /// The bundle's folder (holding the launcher `gitlab-oidc-aws`, `lib/` and
    /// `ca-certificates.crt`), or nil for the host binary.
    public static let root: String? = goa_bundle_root().map { String(cString: $0) }

    /// The launcher, the path by which other programs (e.g. an AWS SDK's `credential_process`)
    /// must start the bundled program; nil for the host binary.
    public static var launcherPath: String? { root.map { $0 + "/gitlab-oidc-aws" } }
}
