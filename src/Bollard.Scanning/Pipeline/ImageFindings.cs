using Bollard.Core.Scanning;
using Bollard.Core.Scanning.Pipeline;

namespace Bollard.Scanning.Pipeline;

/// <summary>The findings of one image as one repository sees them (OpenVEX and exceptions applied), with its scan state and the problems met reading VEX documents.</summary>
public sealed record ImageFindings(ImageScan? Scan, IReadOnlyList<Finding> Findings, IReadOnlyList<string> Warnings);
