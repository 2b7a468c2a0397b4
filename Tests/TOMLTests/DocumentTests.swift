import TOML
import TOMLTestSupport
import Testing

/// Values, lookups and the shapes of the tree.
@Suite struct DocumentTests {
    func parse(_ text: String) throws -> TOMLDocument { try TOMLDocument(parsing: Array(text.utf8)) }

    @Test func scalars() throws {
        let text = """
            s = "tab\\there \\u00E9 \\U0001F600 \\"q\\" \\\\"
            l = 'C:\\path'
            i = [0, -0, +17, 1_000, 0xDEAD_beef, 0o755, 0b1010, -9223372036854775808, 9223372036854775807]
            f = [1.5, -0.0, 6.626e-34, 1e400, inf, -inf, nan, 5E+22]
            b = [true, false]
            """
        let root = try parse(text).root
        #expect(root["s"]?.string == "tab\there é 😀 \"q\" \\")
        #expect(root["l"]?.string == "C:\\path")
        #expect(root["i"]?.array?.map { $0.integer } == [0, 0, 17, 1000, 0xDEAD_BEEF, 0o755, 0b1010, .min, .max])
        let floats = try #require(root["f"]?.array).compactMap { $0.float }
        #expect(floats[0] == 1.5 && floats[1] == 0 && floats[1].sign == .minus && floats[2] == 6.626e-34)
        #expect(floats[3] == .infinity && floats[4] == .infinity && floats[5] == -.infinity && floats[6].isNaN)
        #expect(floats[7] == 5e22)
        #expect(root["b"]?.array?.map(\.boolean) == [true, false])
        #expect(root["s"]?.integer == nil && root["i"]?.string == nil && root["b"]?.table == nil)
    }

    @Test func dateTimes() throws {
        let root = try parse(
            "a = 1979-05-27T07:32:00.999999999999-07:30\nb = 1979-05-27 07:32:00\nc = 2000-02-29\nd = 23:59:60.5\n"
        ).root
        let a = try #require(root["a"]?.dateTime)
        #expect(root["a"]?.kind == .offsetDateTime)
        #expect(a.date == TOMLDateTime.LocalDate(year: 1979, month: 5, day: 27))
        #expect(a.time == TOMLDateTime.LocalTime(hour: 7, minute: 32, second: 0, nanosecond: 999_999_999))
        #expect(a.offsetMinutes == -450)
        #expect(a.text == "1979-05-27T07:32:00.999999999999-07:30")
        #expect(root["b"]?.kind == .localDateTime && root["b"]?.dateTime?.offsetMinutes == nil)
        #expect(root["c"]?.kind == .localDate && root["c"]?.dateTime?.time == nil)
        let d = try #require(root["d"]?.dateTime)
        #expect(root["d"]?.kind == .localTime && d.date == nil)
        #expect(d.time == TOMLDateTime.LocalTime(hour: 23, minute: 59, second: 60, nanosecond: 500_000_000))
    }

    @Test func multiLineStrings() throws {
        let root = try parse("a = \"\"\"\r\nx\r\n  \\\r\n   y \\\n\n z\"\"\"\nb = '''\n\\n''''\nc = \"\"\"\"\"\"\"\"\n")
            .root
        #expect(root["a"]?.string == "x\n  y z")
        #expect(root["b"]?.string == "\\n'")
        #expect(root["c"]?.string == "\"\"")
    }

    @Test func originsOfTables() throws {
        let document = try parse("x.y = 1\n[h]\n[i.j]\n[[k]]\nl = { m = 1 }\n")
        let root = document.root
        #expect(root.origin == .document)
        #expect(root["x"]?.table?.origin == .dottedKey)
        #expect(root["h"]?.table?.origin == .header)
        #expect(root["i"]?.table?.origin == .implicit)
        #expect(root["i"]?.table?["j"]?.table?.origin == .header)
        #expect(root["k"]?.array?.first?.table?.origin == .arrayOfTablesElement)
        #expect(root["k"]?.array?.first?.table?["l"]?.table?.origin == .inline)
        #expect(root["k"]?.array?.isArrayOfTables == true)
        #expect(root["x"]?.table?["y"]?.array?.isArrayOfTables == nil)
    }

    @Test func entriesComeInDocumentOrder() throws {
        let root = try parse("b = 1\na = 2\n[c]\n[z.y]\n[z]\nx = 1\n[c.d]\n").root
        #expect(root.map(\.key) == ["b", "a", "c", "z"])
        #expect(root["z"]?.table?.map(\.key) == ["y", "x"])
        #expect(root["c"]?.table?.map(\.key) == ["d"])
    }

    @Test func keysAreComparedDecoded() throws {
        let root = try parse("\"a\\u0062\" = 1\n'c' = 2\n\"\" = 3\n").root
        #expect(root["ab"]?.integer == 1)
        #expect(root["c"]?.integer == 2)
        #expect(root[""]?.integer == 3)
        #expect(root.first?.hasKey("ab") == true)
        #expect(root.first?.hasKey("a") == false)
        #expect(try parse("x = 1").root.first?.hasKey("x") == true)
        #expect(root.first?.key == "ab")
    }

    /// Large tables switch to a hash index: lookups, duplicates and order stay right.
    @Test func largeTables() throws {
        let count = 100_000
        var text = ""
        for index in 0..<count { text += "key\(index) = \(index)\n" }
        let root = try parse(text).root
        #expect(root.count == count)
        for index in stride(from: 0, to: count, by: 997) { #expect(root["key\(index)"]?.integer == Int64(index)) }
        #expect(root["key\(count)"] == nil)
        #expect(root.map(\.key).prefix(3) == ["key0", "key1", "key2"])
        var duplicate = text
        duplicate += "\"key5\\u0030\" = 1\n"
        #expect(throws: TOMLError.self) { try parse(duplicate) }
        var escaped = "\"\\u0061\" = 0\n"
        for index in 0..<40 { escaped += "\"k\\u0030\(index)\" = \(index)\n" }
        let escapedRoot = try parse(escaped).root
        #expect(escapedRoot["a"]?.integer == 0 && escapedRoot["k039"]?.integer == 39)
    }

    @Test func largeArraysOfTables() throws {
        let count = 100_000
        var text = "issuer = \"x\"\n"
        for index in 0..<count { text += "[[rule]]\nname = \"\(index)\"\n[rule.match]\nref = \"main\"\n" }
        let rules = try #require(try parse(text).root["rule"]?.array)
        #expect(rules.count == count)
        #expect(rules.map { $0.table?["name"]?.string }.last == "\(count - 1)")
        #expect(rules.allSatisfy { $0.table?["match"]?.table?["ref"]?.string == "main" })
    }

    @Test func theSourceIsKept() throws {
        let bytes = Array("a = \"x\"\n".utf8)
        #expect(try TOMLDocument(parsing: bytes).source == bytes)
        let fromPointer = try bytes.withUnsafeBytes { try TOMLDocument(parsing: $0) }
        #expect(fromPointer.root["a"]?.string == "x")
    }

    /// A source filled in place becomes the document's without a copy; writing to it afterwards
    /// does not change the document.
    @Test func aSourceFilledInPlace() throws {
        let text = Array("name = \"a\"\n".utf8)
        var source = TOMLSource(count: text.count)
        source.withUnsafeMutableBytes { $0.copyBytes(from: text) }
        let document = try TOMLDocument(parsing: source)
        source.withUnsafeMutableBytes { $0[8] = UInt8(ascii: "b") }
        #expect(document.root["name"]?.string == "a")
        #expect(try TOMLDocument(parsing: source).root["name"]?.string == "b")
        #expect(TOMLSource(count: 0).count == 0)
        #expect(try TOMLDocument(parsing: TOMLSource(count: 0)).root.isEmpty)
        #expect(throws: TOMLError.self) { try TOMLDocument(parsing: TOMLSource(count: 3)) }
    }

    @Test func theMappingGeneratorMakesWhatItSays() throws {
        let document = try TOMLDocument(parsing: MappingGenerator.mapping(rules: 1000))
        let rules = try #require(document.root["rule"]?.array)
        #expect(rules.count == 1000)
        #expect(rules.allSatisfy { $0.table?["role"]?.string?.hasPrefix("arn:aws:iam::") == true })
        #expect(rules.allSatisfy { ($0.table?["match"]?.table?.count ?? 0) >= 1 })
    }
}
