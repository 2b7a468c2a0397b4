// swift-tools-version:6.0
// The libFuzzer target of gitlab-oidc-aws. Built only by `Fuzz/run.sh`, with
// `-sanitize=fuzzer,address`; the root package does not know about it.
import PackageDescription

let package = Package(
    name: "gitlab-oidc-aws-fuzz",
    dependencies: [
        .package(name: "gitlab-oidc-aws", path: "..")
    ],
    targets: [
        .systemLibrary(name: "CFuzzer"),
        .executableTarget(
            name: "gitlab-oidc-aws-fuzz",
            dependencies: [
                "CFuzzer", .product(name: "FuzzTargets", package: "gitlab-oidc-aws"),
                .product(name: "TOMLTestSupport", package: "gitlab-oidc-aws"),
            ]
        ),
    ]
)
