// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "gitlab-oidc-aws",
    products: [
        .executable(name: "gitlab-oidc-aws", targets: ["gitlab-oidc-aws"]),
        // For the fuzz targets in Fuzz/, a separate package that builds them with libFuzzer.
        .library(name: "GitLabOIDCAWS", targets: ["GitLabOIDCAWS"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),
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
            dependencies: [
                "CCurl", "CJansson", "CSupport",
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
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
            dependencies: ["GitLabOIDCAWS", "GitLabOIDCAWSTestSupport"]
        ),
    ]
)
