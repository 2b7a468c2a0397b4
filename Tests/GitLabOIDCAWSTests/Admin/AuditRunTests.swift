import GitLabOIDCAWSTestSupport
import Testing

@testable import GitLabOIDCAWS

@Suite struct AuditRunTests {
    static let a = RoleARN("arn:aws:iam::111122223333:role/a")!
    static let b = RoleARN("arn:aws:iam::111122223333:role/b")!
    static let c = RoleARN("arn:aws:iam::444455556666:role/c")!
    static let secret = "auditor/secret+key"
    static let token = "auditor-session-token"
    static let environment: [String: String] = [
        "AWS_ACCESS_KEY_ID": "AKIDAUDITOR", "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": token,
    ]

    static let mapping: Mapping = {
        func rule(_ number: Int, _ role: RoleARN, _ path: String) -> Rule {
            Rule(
                number: number, line: number * 5, name: nil, role: role,
                conditions: [Condition(claim: "project_path", patterns: [Pattern(path)], line: number * 5 + 2)])
        }
        var mapping = Mapping(
            issuer: "https://gitlab.example.com", rules: [rule(1, a, "g/a"), rule(2, b, "g/b"), rule(3, c, "g/c")])
        mapping.path = "mapping.toml"
        return mapping
    }()

    static func callerAnswer(account: String = "111122223333", arn: String? = nil) -> FakeTransport.Answer {
        .response(200, callerDocument(account: account, arn: arn))
    }

    static func callerDocument(account: String, arn: String?) -> String {
        """
            <GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <GetCallerIdentityResult>
                <Arn>\(arn ?? "arn:aws:sts::\(account):assumed-role/auditor/ci")</Arn>
                <UserId>AROAEXAMPLE:ci</UserId>
                <Account>\(account)</Account>
              </GetCallerIdentityResult>
              <ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>
            </GetCallerIdentityResponse>
            """
    }

    /// `GetRole` of `role` answering the policy `trust-policy` prints for it.
    static func printedAnswer(_ role: RoleARN) -> FakeTransport.Answer {
        let text = TrustPolicy.document(for: TrustPolicy.trust(for: role, mapping: mapping), mapping: mapping).prettyText
        return .response(200, IAMDocuments.getRole(arn: role.description, policy: STS.percentEncode(text)))
    }

    func run(
        _ answers: [FakeTransport.Answer], account: String? = nil, iam: String? = "https://iam.test/",
        sts: String? = nil, environment: [String: String] = environment, mapping: Mapping = mapping,
        log: @escaping (String) -> Void = { _ in }
    ) throws(AuditError) -> (AuditReport, FakeTransport) {
        let transport = FakeTransport(answers)
        let report = try Audit.run(
            mapping: mapping, account: account, iamEndpoint: iam, stsEndpoint: sts, environment: { environment[$0] },
            transport: transport, clock: ManualClock.atStart().clock, log: log)
        return (report, transport)
    }

    func failure(_ body: () throws(AuditError) -> Void) -> AuditError? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    // MARK: running

    @Test func everyRoleOfTheCredentialsAccountIsReadAndTheOthersAreNotReadable() throws {
        let (report, transport) = try run([Self.callerAnswer(), Self.printedAnswer(Self.a), .response(404, IAMDocuments.error("NoSuchEntity"))])
        #expect(report.roles.map(\.verdict) == [.inLine, .missing, .notReadable])
        #expect(report.roles.map(\.role) == [Self.a, Self.b, Self.c])
        #expect(!report.isInLine)
        #expect(report.roles[1].detail == "IAM has no role named b in account 111122223333")
        #expect(report.roles[2].detail?.hasPrefix("these credentials act in account 111122223333 (arn:aws:sts::111122223333:assumed-role/auditor/ci), and IAM shows a role only to its own account (444455556666); audit it with credentials of account 444455556666 and --account 444455556666") == true)
        // STS first (at the IAM override, as stand-ins serve both), then one GetRole per role of the account.
        #expect(transport.requests.map(\.url) == ["https://iam.test/", "https://iam.test/", "https://iam.test/"])
        #expect(String(decoding: transport.requests[0].body, as: UTF8.self) == "Action=GetCallerIdentity&Version=2011-06-15")
        #expect(String(decoding: transport.requests[1].body, as: UTF8.self) == "Action=GetRole&Version=2010-05-08&RoleName=a")
        let scopes = transport.requests.compactMap { header("Authorization", in: $0) }.map { $0.split(separator: "/")[2...3].joined(separator: "/") }
        #expect(scopes == ["us-east-1/sts", "us-east-1/iam", "us-east-1/iam"])
        #expect(transport.requests.allSatisfy { header("X-Amz-Security-Token", in: $0) == Self.token })
        #expect(transport.requests.allSatisfy { header("Authorization", in: $0)?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDAUDITOR/") == true })
    }

    @Test func endpointsDefaultToThePartitionsGlobalOnes() throws {
        let (_, transport) = try run([Self.callerAnswer(), Self.printedAnswer(Self.a)], account: nil, iam: nil, mapping: {
            var mapping = Self.mapping
            mapping.rules = [mapping.rules[0]]
            return mapping
        }())
        #expect(transport.requests.map(\.url) == ["https://sts.amazonaws.com/", "https://iam.amazonaws.com/"])
        let (_, separate) = try run([Self.callerAnswer(), Self.printedAnswer(Self.a)], iam: "https://iam.test/", sts: "https://sts.test/", mapping: {
            var mapping = Self.mapping
            mapping.rules = [mapping.rules[0]]
            return mapping
        }())
        #expect(separate.requests.map(\.url) == ["https://sts.test/", "https://iam.test/"])
    }

    @Test func accountLimitsTheRolesAudited() throws {
        let (report, transport) = try run([Self.callerAnswer(account: "444455556666"), Self.printedAnswer(Self.c)], account: "444455556666")
        #expect(report.roles.map(\.role) == [Self.c])
        #expect(report.isInLine && transport.requests.count == 2)
        #expect(report.text.hasSuffix("audit: 1 role of account 444455556666, read with the credentials of arn:aws:sts::444455556666:assumed-role/auditor/ci: 1 in line"))
        let error = failure { () throws(AuditError) in _ = try run([], account: "999999999999") }
        #expect(error == .noRoleInAccount(account: "999999999999", accounts: ["111122223333", "444455556666"]))
        #expect(error?.description == "no role of the mapping is in account 999999999999 (its roles are in 111122223333, 444455556666); check --account")
    }

    @Test func chainedRolesAreAuditedAgainstTheirPreviousRoles() throws {
        let mapping = ChainMappings.mapping
        let target = ChainMappings.target
        let printed = TrustPolicy.document(for: TrustPolicy.trust(for: target, mapping: mapping), mapping: mapping)
        let (report, transport) = try run(
            [
                Self.callerAnswer(account: "444455556666"),
                .response(200, IAMDocuments.getRole(arn: target.description, policy: STS.percentEncode(printed.prettyText))),
            ], account: "444455556666", mapping: mapping)
        #expect(report.roles.map(\.role) == [target] && report.isInLine)
        #expect(String(decoding: transport.requests[1].body, as: UTF8.self).hasSuffix("RoleName=deploy"))
        // The same role trusting the entry role without TagSession and external id.
        let loose = #"{"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:role/gitlab-entry", "arn:aws:iam::111122223333:role/other-entry"]}, "Action": "sts:AssumeRole"}]}"#
        let (drifted, _) = try run(
            [
                Self.callerAnswer(account: "444455556666"),
                .response(200, IAMDocuments.getRole(arn: target.description, policy: STS.percentEncode(loose))),
            ], account: "444455556666", mapping: mapping)
        #expect(drifted.roles.map(\.verdict) == [.admitsMoreAndLess])
        #expect(drifted.roles[0].findings.map(\.message) == [
            #"has no sts:ExternalId condition for arn:aws:iam::111122223333:role/gitlab-entry, whose hops send one ("ext-1")"#,
            #"sts:TagSession is missing for arn:aws:iam::111122223333:role/gitlab-entry: rule 1 "deploy" (line 1), chain hop 2 sends session tags (project, ref), so STS would deny it"#,
        ])
    }

    @Test func noCredentialsIsAnErrorBeforeAnyRequest() {
        for environment in [[:], ["AWS_ACCESS_KEY_ID": "AKID"], ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "x"]] {
            #expect(failure { () throws(AuditError) in _ = try run([], environment: environment) } == .noCredentials)
        }
        #expect(AuditError.noCredentials.description.contains("AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and (for temporary ones) AWS_SESSION_TOKEN"))
    }

    @Test func aMappingWithoutRolesHasNothingToAudit() throws {
        let mapping = Mapping(
            issuer: "https://gitlab.example.com",
            rules: [Rule(number: 1, line: 1, name: nil, conditions: [Condition(claim: "ref", patterns: [Pattern("x")], line: 2)], action: .skip)])
        let (report, transport) = try run([], mapping: mapping)
        #expect(report.isInLine && report.roles.isEmpty && transport.requests.isEmpty)
        #expect(report.text == "audit: the mapping assumes no role; nothing to audit")
    }

    @Test func throttlingIsRetriedAndRefusalsAreNotLoggedTwice() throws {
        var lines: [String] = []
        let (report, _) = try run(
            [
                Self.callerAnswer(), .response(400, IAMDocuments.error("Throttling", message: "Rate exceeded")),
                Self.printedAnswer(Self.a), .response(404, IAMDocuments.error("NoSuchEntity")),
            ], log: { lines.append($0) })
        #expect(report.roles.map(\.verdict) == [.inLine, .missing, .notReadable])
        #expect(lines.count == 2, "\(lines)")
        #expect(lines[0].hasPrefix("IAM GetRole of arn:aws:iam::111122223333:role/a: attempt 1 of 5 failed: IAM refused GetRole"))
        #expect(lines[0].contains("Throttling: Rate exceeded") && lines[0].contains("retrying in"))
        #expect(lines[1].hasPrefix("IAM GetRole of arn:aws:iam::111122223333:role/a: attempt 2 of 5 succeeded"))
    }

    @Test func anUnreachableIAMStopsTheAuditWithOneLine() {
        let error = failure { () throws(AuditError) in _ = try run([Self.callerAnswer()] + Array(repeating: .failure(.connect), count: 5)) }
        guard case let .iamUnreachable(iamError)? = error else {
            Issue.record("\(String(describing: error))")
            return
        }
        #expect(iamError.roleARN == Self.a.description)
        let text = error!.description
        #expect(text.hasPrefix("cannot reach IAM for GetRole of arn:aws:iam::111122223333:role/a: "))
        #expect(text.hasSuffix("; nothing more was audited") && !text.contains("\n"))
    }

    @Test func refusedCredentialsAreNamedByTheirKeyNeverTheirSecret() {
        let error = failure { () throws(AuditError) in _ = try run([.response(403, STSDocuments.error("InvalidClientTokenId", message: "The security token included in the request is invalid."))]) }
        let text = error?.description ?? ""
        #expect(text.hasPrefix("STS refused GetCallerIdentity for access key AKIDAUDITOR: InvalidClientTokenId: The security token included in the request is invalid. (HTTP 403"))
        #expect(text.contains("check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN"))
        #expect(!text.contains(Self.secret) && !text.contains(Self.token))
        let html = failure { () throws(AuditError) in _ = try run([.response(404, "<html><body>not here</body></html>")]) }
        #expect(html?.description.hasPrefix("STS answered HTTP 404 to GetCallerIdentity with something that is not an STS response (an HTML page); check --sts-endpoint-url") == true)
    }

    @Test func reportsHoldNoSecret() throws {
        let (report, transport) = try run([Self.callerAnswer(), Self.printedAnswer(Self.a), .response(403, IAMDocuments.error("AccessDenied", message: "not authorized"))])
        let everything = report.text + report.json.compactText
        #expect(!everything.contains(Self.secret) && !everything.contains(Self.token))
        #expect(transport.requests.allSatisfy { request in
            !request.headers.contains { $0.contains(Self.secret) } && !String(decoding: request.body, as: UTF8.self).contains(Self.secret)
        })
    }

    // MARK: verdicts from IAM's answers

    static let caller = CallerIdentity(account: "111122223333", arn: "arn:aws:sts::111122223333:assumed-role/auditor/ci")

    func assess(_ kind: IAMError.Kind) -> RoleAudit {
        Audit.assess(
            role: Self.a, answer: .failure(IAMError(roleARN: Self.a.description, kind: kind)), mapping: Self.mapping,
            caller: Self.caller)
    }

    @Test func iamRefusalsBecomeVerdicts() {
        let denied = assess(.accessDenied(message: "User is not authorized to perform: iam:GetRole"))
        #expect(denied.verdict == .notReadable)
        #expect(denied.detail == "IAM refused GetRole in account 111122223333 (User is not authorized to perform: iam:GetRole): these credentials (arn:aws:sts::111122223333:assumed-role/auditor/ci) need iam:GetRole on the role")
        let moved = assess(.otherRole(returnedARN: "arn:aws:iam::111122223333:role/ci/a"))
        #expect(moved.verdict == .missing)
        #expect(moved.detail?.contains("is arn:aws:iam::111122223333:role/ci/a, whose path differs from the mapping's ARN") == true)
        let odd = assess(.unreadableTrustPolicy(reason: #"statement 1: "NotPrincipal" is not something audit understands"#))
        #expect(odd.verdict == .notAnalysed && odd.detail?.contains("NotPrincipal") == true)
        #expect(assess(.service(status: 500, code: "ServiceFailure", message: "x", requestID: nil)).verdict == .failed)
        let unexpected = assess(.unexpectedAnswer(status: 200, reason: "an HTML page"))
        #expect(unexpected.verdict == .failed && unexpected.detail?.contains("an HTML page") == true)
    }

    @Test func theVerdictFollowsTheFindings() {
        let more = AuditFinding(.admitsMore, statement: "statement 1", "x")
        let less = AuditFinding(.admitsLess, "y")
        let unsure = AuditFinding(.notAnalysed, "z")
        #expect(RoleAudit(role: Self.a, findings: []).verdict == .inLine)
        #expect(RoleAudit(role: Self.a, findings: [unsure]).verdict == .notAnalysed)
        #expect(RoleAudit(role: Self.a, findings: [more, unsure]).verdict == .admitsMore)
        #expect(RoleAudit(role: Self.a, findings: [less, unsure]).verdict == .admitsLess)
        #expect(RoleAudit(role: Self.a, findings: [less, more]).verdict == .admitsMoreAndLess)
    }

    // MARK: the report

    @Test func theReportHasOneLinePerRoleWithDetailsIndentedAndASummary() {
        let report = AuditReport(
            caller: Self.caller, account: nil,
            roles: [
                RoleAudit(role: Self.a, findings: []),
                RoleAudit(role: Self.b, findings: [AuditFinding(.admitsMore, statement: "statement 1 (\"GitLab\")", "has no condition on gitlab.example.com:aud")]),
                RoleAudit(role: Self.c, verdict: .missing, detail: "IAM has no role named c in account 444455556666"),
            ])
        #expect(
            report.text == """
                arn:aws:iam::111122223333:role/a: in line
                arn:aws:iam::111122223333:role/b: admits more than the mapping
                  - statement 1 ("GitLab"): has no condition on gitlab.example.com:aud
                arn:aws:iam::444455556666:role/c: missing
                  - IAM has no role named c in account 444455556666
                audit: 3 roles, read with the credentials of arn:aws:sts::111122223333:assumed-role/auditor/ci: 1 in line, 1 admits more than the mapping, 1 missing
                """)
        let json = report.json
        #expect(json["in_line"] == .bool(false))
        #expect(json["credentials"]?["account"] == .string("111122223333"))
        guard case let .array(roles)? = json["roles"] else {
            Issue.record("no roles")
            return
        }
        #expect(roles.map { $0["verdict"] } == [.string("in-line"), .string("admits-more"), .string("missing")])
        #expect(roles[1]["findings"] == .array([.object([("kind", .string("admits-more")), ("statement", .string("statement 1 (\"GitLab\")")), ("message", .string("has no condition on gitlab.example.com:aud"))])]))
        #expect(roles[2]["detail"] == .string("IAM has no role named c in account 444455556666"))
        #expect(roles[0]["detail"] == .null)
    }

    // MARK: GetCallerIdentity answers

    func parse(_ body: String, status: Int = 200) -> Result<CallerIdentity, STSError> {
        Result { () throws(STSError) in try CallerIdentity.parseAnswer(status: status, body: Array(body.utf8)) }
    }

    @Test func callerIdentityAnswersAreRead() throws {
        let body = Self.callerDocument(account: "123456789012", arn: "arn:aws-cn:iam::123456789012:user/a")
        #expect(try parse(body).get() == CallerIdentity(account: "123456789012", arn: "arn:aws-cn:iam::123456789012:user/a"))
        #expect(try parse(body).get().partition == "aws-cn")
        #expect(CallerIdentity.endpoint(partition: "aws-cn", override: nil) == ("https://sts.cn-north-1.amazonaws.com.cn/", "cn-north-1"))
        #expect(CallerIdentity.endpoint(partition: "aws-us-gov", override: "") == ("https://sts.us-gov-west-1.amazonaws.com/", "us-gov-west-1"))
        guard case .failure(.service(403, "InvalidClientTokenId", _, _)) = parse(STSDocuments.error("InvalidClientTokenId"), status: 403) else {
            Issue.record("an error answer")
            return
        }
        for (body, status, reason) in [
            ("<html>busy</html>", 503, "an HTML page"), ("", 200, "an empty body"),
            ("<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::1:user/a</Arn><Account>12</Account></GetCallerIdentityResult></GetCallerIdentityResponse>", 200, "Account is not a 12-digit account id"),
            ("<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>x\u{1}</Arn><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>", 200, "Arn is not an ARN"),
            ("<AssumeRoleResponse/>", 200, "no GetCallerIdentityResult"),
        ] {
            guard case let .failure(.unexpectedAnswer(answered, text)) = parse(body, status: status) else {
                Issue.record("\(body) must be refused")
                continue
            }
            #expect(answered == status && text.contains(reason), "\(text)")
        }
    }
}
