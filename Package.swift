// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "gitlab-oidc-aws",
    products: [
        .executable(name: "gitlab-oidc-aws", targets: ["gitlab-oidc-aws"]),
        .library(name: "GitLabOIDCAWS", targets: ["GitLabOIDCAWS"]),
        // Test-only: what the fuzz targets in Fuzz/ run (a separate package that builds them
        // with libFuzzer). Not part of the executable.
        .library(name: "FuzzTargets", targets: ["FuzzTargets"]),
        // Test code only (the TOML reader's fuzz entry point, renderers, benchmark document), for Fuzz/.
        .library(name: "TOMLTestSupport", targets: ["TOMLTestSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
    ],
    targets: [
        // Headers only: the hook loads libcurl with dlopen on its first request (LibCurl.swift).
        .systemLibrary(
            name: "CCurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "CJansson",
            pkgConfig: "jansson",
            providers: [.apt(["libjansson-dev"])]
        ),
        .systemLibrary(
            name: "CLibcrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // The libcurl function table, jansson's macros and libcrypto's one-shot calls as plain
        // C functions; the only C code of the package.
        .target(
            name: "CSupport",
            dependencies: ["CCurl", "CJansson", "CLibcrypto"]
        ),
        .target(
            name: "GitLabOIDCAWS",
            dependencies: ["CCurl", "CJansson", "CSupport", "TOML"],
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]
        ),
        .executableTarget(
            name: "gitlab-oidc-aws",
            dependencies: [
                "GitLabOIDCAWS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]
        ),
        // Test doubles and fixtures shared by the Swift tests; never part of the product.
        .target(
            name: "GitLabOIDCAWSTestSupport",
            dependencies: ["GitLabOIDCAWS"],
            path: "Tests/GitLabOIDCAWSTestSupport"
        ),
        // Test-only: runs the library's SigV4, STS AssumeRole and IAM GetRole code for the Python
        // tests (botocore, the STS double, moto). Not a product; nothing installs it.
        .executableTarget(
            name: "aws-wire-probe",
            dependencies: ["GitLabOIDCAWS"],
            path: "Tests/AWSWireProbe"
        ),
        .testTarget(
            name: "GitLabOIDCAWSTests",
            dependencies: ["GitLabOIDCAWS", "GitLabOIDCAWSTestSupport", "TOML", "FuzzTargets"]
        ),
        // Test-only: what the fuzz targets in Fuzz/ run, and the tests that replay their corpora.
        .target(
            name: "FuzzTargets",
            dependencies: ["GitLabOIDCAWS"],
            path: "Tests/FuzzTargets",
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]
        ),
        .testTarget(
            name: "FuzzTargetsTests",
            dependencies: ["FuzzTargets", "GitLabOIDCAWS"]
        ),
        // The TOML 1.0 reader: no dependencies, no Foundation.
        .target(name: "TOML"),
        // Test code for the reader, never part of the product: toml-test's tagged JSON, a TOML
        // renderer, the fuzz entry point, the benchmark's mapping generator.
        .target(name: "TOMLTestSupport", dependencies: ["TOML"], path: "Tests/TOMLTestSupport"),
        // Reads TOML on stdin, prints toml-test's tagged JSON (the differential test's decoder).
        .executableTarget(name: "toml-decoder", dependencies: ["TOMLTestSupport"], path: "Tests/Tools/toml-decoder"),
        // Median parse times of generated mappings (`swift run -c release toml-benchmark`).
        .executableTarget(
            name: "toml-benchmark", dependencies: ["TOML", "TOMLTestSupport"], path: "Tests/Tools/toml-benchmark"),
        .testTarget(name: "TOMLTests", dependencies: ["TOML", "TOMLTestSupport"]),
    ]
)
