import Glibc
import TOML
import TOMLTestSupport

// Median time to parse generated mappings (MappingGenerator) of 10, 10,000 and 100,000 rules,
// and to parse and then read every rule the way a loader would. Build in release:
//
//   swift build -c release --product toml-benchmark && .build/release/toml-benchmark [RULES...]
//
// Test code, never part of the product.

/// Reads every rule as a loader would: each key's bytes, each string, the match conditions.
func walk(_ document: TOMLDocument) -> Int {
    var checksum = 0
    for entry in document.root {
        checksum &+= entry.withKeyUTF8 { $0.count }
        guard let rules = entry.value.array else { continue }
        for rule in rules {
            guard let table = rule.table else { continue }
            for field in table {
                checksum &+= field.withKeyUTF8 { $0.count }
                let value = field.value
                if let length = value.withUTF8({ $0.count }) { checksum &+= length }
                if let match = value.table {
                    for condition in match {
                        checksum &+= condition.withKeyUTF8 { $0.count } &+ condition.keyPosition.line
                        let pattern = condition.value
                        checksum &+= pattern.withUTF8({ $0.count }) ?? pattern.array?.count ?? 1
                    }
                }
            }
            checksum &+= rule.position.line
        }
    }
    return checksum
}

func median(_ samples: [Double]) -> Double { samples.sorted()[samples.count / 2] }

func measure(runs: Int, _ body: () -> Int) -> Double {
    var samples: [Double] = []
    var sink = 0
    let clock = ContinuousClock()
    for _ in 0..<runs {
        let elapsed = clock.measure { sink &+= body() }
        samples.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3)
    }
    if sink == 42 { print("") }
    return median(samples)
}

func peakResidentMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

let sizes = CommandLine.arguments.dropFirst().compactMap { Int($0) }
print("rules     bytes        parse (median)   MB/s     parse + read every rule   peak RSS")
for rules in sizes.isEmpty ? [10, 10_000, 100_000] : sizes {
    let source = MappingGenerator.mapping(rules: rules)
    let runs = rules <= 100 ? 2001 : rules <= 10_000 ? 101 : 21
    let parse = measure(runs: runs) {
        let document = try! TOMLDocument(parsing: source)
        return document.root.count
    }
    let parseAndWalk = measure(runs: runs) { walk(try! TOMLDocument(parsing: source)) }
    let megabytesPerSecond = Double(source.count) / 1e6 / (parse / 1e3)
    print(
        rules, String(repeating: " ", count: max(1, 9 - String(rules).count)),
        source.count, String(repeating: " ", count: max(1, 12 - String(source.count).count)),
        String(format3(parse)) + " ms", "      ", String(Int(megabytesPerSecond)), "     ",
        format3(parseAndWalk) + " ms", "                ", format3(peakResidentMegabytes()) + " MB")
}

func format3(_ value: Double) -> String {
    let scaled = Int((value * 1000).rounded())
    let fraction = String(scaled % 1000)
    return "\(scaled / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
}
