import TOML
import TOMLTestSupport
import Testing

/// Lines and columns of keys and values (1-based; columns in Unicode scalars, a tab counts one).
@Suite struct PositionTests {
    func parse(_ text: String) throws -> TOMLDocument { try TOMLDocument(parsing: Array(text.utf8)) }

    func position(_ line: Int, _ column: Int) -> TOMLPosition { TOMLPosition(line: line, column: column) }

    @Test func keysAndValues() throws {
        let document = try parse("# mapping\nissuer = \"https://gitlab.example.com\"\n  duration   =   3600\n")
        let issuer = try #require(document.root.entry(forKey: "issuer"))
        #expect(issuer.keyPosition == position(2, 1))
        #expect(issuer.value.position == position(2, 10))
        let duration = try #require(document.root.entry(forKey: "duration"))
        #expect(duration.keyPosition == position(3, 3))
        #expect(duration.value.position == position(3, 18))
    }

    @Test func eachComponentOfADottedKeyHasItsOwnPosition() throws {
        let document = try parse("x = 1\nsite . \"google.com\".  enabled = true\n")
        let site = try #require(document.root.entry(forKey: "site"))
        #expect(site.keyPosition == position(2, 1))
        #expect(site.value.table?.origin == .dottedKey)
        #expect(site.value.position == position(2, 1))
        let google = try #require(site.value.table?.entry(forKey: "google.com"))
        #expect(google.keyPosition == position(2, 8))
        let enabled = try #require(google.value.table?.entry(forKey: "enabled"))
        #expect(enabled.keyPosition == position(2, 23))
        #expect(enabled.value.position == position(2, 33))
    }

    @Test func tablesFromHeadersAreWhereTheirHeaderIs() throws {
        let text = """
            [[rule]]
            name = "a"
            [rule.match]
            ref = "main"

            [[rule]]
            name = "b"
              [ rule . match ]
              ref = "v*"
            """
        let document = try parse(text)
        let rules = try #require(document.root.entry(forKey: "rule"))
        #expect(rules.keyPosition == position(1, 3))
        let array = try #require(rules.value.array)
        #expect(array.isArrayOfTables)
        #expect(array.position == position(1, 1))
        let elements = Array(array)
        #expect(elements.map(\.position) == [position(1, 1), position(6, 1)])
        #expect(elements.map { $0.table?.origin } == [.arrayOfTablesElement, .arrayOfTablesElement])
        let match = try #require(elements[1].table?.entry(forKey: "match"))
        #expect(match.value.table?.origin == .header)
        #expect(match.value.position == position(8, 3))
        #expect(match.keyPosition == position(8, 12))
        #expect(match.value.table?.entry(forKey: "ref")?.value.position == position(9, 9))
    }

    @Test func anImplicitTableMovesToItsOwnHeader() throws {
        let document = try parse("[a.b.c]\nx = 1\n\n[a]\ny = 2\n")
        let a = try #require(document.root.entry(forKey: "a"))
        #expect(a.value.table?.origin == .header)
        #expect(a.keyPosition == position(4, 2))
        #expect(a.value.position == position(4, 1))
        let b = try #require(a.value.table?.entry(forKey: "b"))
        #expect(b.value.table?.origin == .implicit)
        #expect(b.keyPosition == position(1, 4))
        #expect(b.value.position == position(1, 4))
    }

    @Test func valuesAfterMultiLineStringsAreOnTheirLines() throws {
        let text =
            "a = \"\"\"\none\ntwo \\\n   three\"\"\"\nb = '''\nx\n'''\nc = [\n  1,\n  # comment\n  2,\n]\nd = 4\n"
        let document = try parse(text)
        #expect(document.root["a"]?.string == "one\ntwo three")
        #expect(document.root["a"]?.position == position(1, 5))
        #expect(document.root.entry(forKey: "b")?.keyPosition == position(5, 1))
        #expect(document.root["b"]?.string == "x\n")
        let c = try #require(document.root["c"]?.array)
        #expect(c.map(\.position) == [position(9, 3), position(11, 3)])
        #expect(document.root.entry(forKey: "d")?.keyPosition == position(13, 1))
    }

    @Test func crlfLineBreaksCountOnce() throws {
        let document = try parse("a = 1\r\nb = \"\"\"\r\nx\r\ny\"\"\"\r\n\r\nc = 3\r\n")
        #expect(document.root.entry(forKey: "b")?.keyPosition == position(2, 1))
        #expect(document.root["b"]?.string == "x\ny")
        #expect(document.root.entry(forKey: "c")?.keyPosition == position(6, 1))
        #expect(document.root["c"]?.position == position(6, 5))
    }

    @Test func tabsAndNonASCIICountOneColumnEach() throws {
        let document = try parse("\tkey\t=\t\"x\"\n\"é\" = { \"日本\" = \"ü\", n = 1 }\n")
        #expect(document.root.entry(forKey: "key")?.keyPosition == position(1, 2))
        #expect(document.root["key"]?.position == position(1, 8))
        let accented = try #require(document.root.entry(forKey: "é"))
        #expect(accented.keyPosition == position(2, 1))
        #expect(accented.value.position == position(2, 7))
        let inner = try #require(accented.value.table)
        #expect(inner.entry(forKey: "日本")?.keyPosition == position(2, 9))
        #expect(inner["日本"]?.position == position(2, 16))
        #expect(inner.entry(forKey: "n")?.keyPosition == position(2, 21))
    }

    @Test func aByteOrderMarkIsNotAColumn() throws {
        let document = try TOMLDocument(parsing: [0xEF, 0xBB, 0xBF] + Array("a = 1\n".utf8))
        #expect(document.root.entry(forKey: "a")?.keyPosition == position(1, 1))
        #expect(document.root["a"]?.position == position(1, 5))
    }

    /// Columns on long lines come from checkpoints; they must agree with counting.
    @Test func columnsOnVeryLongLines() throws {
        var line = "a = ["
        var columns: [Int] = []
        for index in 0..<5000 {
            if index > 0 { line += ", " }
            columns.append(line.unicodeScalars.count + 1)
            line += index % 3 == 0 ? "\"é\(index)日\"" : "\(index)"
        }
        let document = try parse("x = 1\n" + line + "]\nb = 2")
        let elements = try #require(document.root["a"]?.array)
        #expect(elements.map(\.position) == columns.map { position(2, $0) })
        #expect(document.root.entry(forKey: "b")?.keyPosition == position(3, 1))
        // The last line, without a line break after it.
        let last = try parse("k = [\"" + String(repeating: "ü", count: 10_000) + "\", 7]")
        #expect(last.root["k"]?.array?.map(\.position) == [position(1, 6), position(1, 10_010)])
    }

    @Test func positionsInEveryToplevelShapePointAtTheirCharacters() throws {
        let text = """
            a.b = { c = [1, { d = 'x' }], e.f = 1979-05-27T07:32:00Z }
            [t]
            "q" = -inf
            [[arr.of]]
            [arr.of.sub]
            k = 0x1F
            """
        #expect(PositionCheck.problems(in: try parse(text)).isEmpty)
    }
}
