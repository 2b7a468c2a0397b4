/// What a failed command means for its exit status. The executable turns each category into
/// its number (`ExitStatus`); library code never exits.
public enum ExitCategory: Equatable, Sendable, CaseIterable {
    /// The job wanted credentials and could not get them (bad token, STS refused, network,
    /// account guard); also `explain` and `trust-policy` finding nothing to show. Exit 1.
    case credentialsUnavailable
    /// The mapping file is invalid or unreadable, or the hook has no env file. Exit 2.
    case invalidConfiguration
    /// The command line cannot be acted on. Exit 64.
    case usage
}

/// Who can fix a failure, as the job log says it to a pipeline author who may not know the
/// hook exists.
public enum Responsibility: Equatable, Sendable {
    /// The pipeline: its `id_tokens`, or a retry of the job.
    case pipeline
    /// The runner's administrator: the mapping, the network, the AWS trust setup.
    case runnerAdministrator

    /// The words appended to a failure in the job log.
    public var advice: String {
        switch self {
        case .pipeline:
            return "[the pipeline's to fix, not the runner's]"
        case .runnerAdministrator:
            return "[the runner's configuration, not the pipeline's: tell the runner administrator]"
        }
    }
}

/// An error a person reads: its message (`description`), its exit category and whose problem
/// it is, declared together by each error type.
public protocol UserFacingError: Error, CustomStringConvertible {
    var exitCategory: ExitCategory { get }
    var responsibility: Responsibility { get }
}
