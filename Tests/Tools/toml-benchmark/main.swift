import Glibc
import TOML
import TOMLTestSupport

// Median time to parse generated mappings (MappingGenerator) of 10, 10,000 and 100,000 rules,
// and to parse and then read every rule the way a loader would. Build in release:
//
//   swift build -c release --product toml-benchmark && .build/release/toml-benchmark [RULES...] [--runs N]
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

/// Milliseconds of CPU time this thread has used.
func threadCPUMilliseconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) * 1e3 + Double(time.tv_nsec) / 1e6
}

struct Timing {
    var wallMedian: Double
    var wallMinimum: Double
    var cpuMedian: Double
}

/// Runs `body` `runs` times: the median and minimum wall time, and the median CPU time (which
/// leaves out the time the thread waited for a processor on a busy machine).
func measure(runs: Int, _ body: () -> Int) -> Timing {
    var wall: [Double] = []
    var cpu: [Double] = []
    var sink = 0
    let clock = ContinuousClock()
    for _ in 0..<runs {
        let cpuStart = threadCPUMilliseconds()
        let elapsed = clock.measure { sink &+= body() }
        cpu.append(threadCPUMilliseconds() - cpuStart)
        wall.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3)
    }
    if sink == 42 { print("") }
    return Timing(wallMedian: median(wall), wallMinimum: wall.min()!, cpuMedian: median(cpu))
}

func peakResidentMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// Megabytes resident now (from /proc/self/statm).
func residentMegabytes() -> Double {
    let descriptor = open("/proc/self/statm", O_RDONLY)
    guard descriptor >= 0 else { return 0 }
    defer { close(descriptor) }
    var buffer = [UInt8](repeating: 0, count: 128)
    let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
    let fields = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self).split(separator: " ")
    guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
    return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
}

func format(_ value: Double, width: Int) -> String {
    let scaled = Int((value * 1000).rounded())
    let fraction = String(scaled % 1000)
    let text = "\(scaled / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    return String(repeating: " ", count: max(0, width - text.count)) + text
}

func pad(_ value: Int, width: Int) -> String {
    let text = String(value)
    return String(repeating: " ", count: max(0, width - text.count)) + text
}

// `--runs N` overrides the number of runs (for instruction counts under callgrind, say).
var arguments = Array(CommandLine.arguments.dropFirst())
var runsOverride: Int?
if let flag = arguments.firstIndex(of: "--runs"), flag + 1 < arguments.count {
    runsOverride = Int(arguments[flag + 1])
    arguments.removeSubrange(flag...flag + 1)
}
// `--file PATH` times one file instead of generated mappings.
var files: [String] = []
while let flag = arguments.firstIndex(of: "--file"), flag + 1 < arguments.count {
    files.append(arguments[flag + 1])
    arguments.removeSubrange(flag...flag + 1)
}
let sizes = arguments.compactMap { Int($0) }

func readFile(_ path: String) -> [UInt8] {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { fatalError("cannot open \(path)") }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count <= 0 { return bytes }
        bytes.append(contentsOf: chunk[0..<count])
    }
}
print(
    "  rules      bytes |   parse ms: median    min    cpu | MB/s (cpu) | parse + read ms: median    cpu |"
        + " document MB | peak RSS MB")
let inputs: [(Int, [UInt8])] =
    files.isEmpty
    ? (sizes.isEmpty ? [10, 10_000, 100_000] : sizes).map { ($0, MappingGenerator.mapping(rules: $0)) }
    : files.map { (0, readFile($0)) }
// What a parsed document holds in memory (its copy of the source included): resident memory
// with the document alive, less before; measured first, all documents kept, so that no parse
// reuses memory an earlier one freed.
var documents: [TOMLDocument] = []
var documentMegabytes: [Double] = []
for (_, source) in inputs {
    let before = residentMegabytes()
    documents.append(try! TOMLDocument(parsing: source))
    documentMegabytes.append(residentMegabytes() - before)
}
for (number, (rules, source)) in inputs.enumerated() {
    let runs = runsOverride ?? (source.count < 100_000 ? 2001 : source.count < 5_000_000 ? 101 : 21)
    let parse = measure(runs: runs) { (try! TOMLDocument(parsing: source)).root.count }
    let parseAndWalk = measure(runs: runs) { walk(try! TOMLDocument(parsing: source)) }
    let megabytesPerSecond = Double(source.count) / 1e6 / (parse.cpuMedian / 1e3)
    print(
        pad(rules, width: 7), pad(source.count, width: 10), "|", format(parse.wallMedian, width: 18),
        format(parse.wallMinimum, width: 6), format(parse.cpuMedian, width: 6), "|",
        pad(Int(megabytesPerSecond), width: 10), "|", format(parseAndWalk.wallMedian, width: 23),
        format(parseAndWalk.cpuMedian, width: 6), "|", format(documentMegabytes[number], width: 11), "|",
        format(peakResidentMegabytes(), width: 11))
}
withExtendedLifetime(documents) {}
