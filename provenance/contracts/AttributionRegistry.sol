// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// What a client checks before it trusts the contract at a configured address.
interface IAttributionRegistry {
    function attribute(
        bytes32 recordId,
        bytes32 manifestHash,
        bytes32 outputHash,
        bytes32 basePatternHash,
        bytes32 styleHash
    ) external;
    function revoke(bytes32 recordId, bytes32 reasonHash) external;
    function anchorBatch(bytes32 merkleRoot, uint256 count) external;
    function manifestOf(bytes32 recordId) external view returns (bytes32);
    function isRevoked(bytes32 recordId) external view returns (bool);
    function batchAnchored(bytes32 merkleRoot) external view returns (bool);
    function registryVersion() external pure returns (string memory);
}

/// @title Motif attribution registry
/// @notice Anchors the hash of each attribution manifest (base pattern + style -> printed output).
/// The manifest itself stays off chain; anyone holding it can recompute its SHA-256 and compare
/// with `manifestOf(recordId)`.
contract AttributionRegistry is IAttributionRegistry {
    string private constant VERSION = "motif.attribution-registry/1";

    // One slot per record keeps a single attribution under the 50k gas budget: the manifest hash
    // doubles as the "exists" flag, so de-duplication needs no second write. Output, base pattern
    // and style hashes live in the event log, which is where lookups by output read them from.
    mapping(bytes32 recordId => bytes32 manifestHash) private _manifests;
    // Revocation is rare, so it pays for its own slot instead of widening every record.
    // Keyed by record id without an existence check: batch-anchored records exist only off chain.
    mapping(bytes32 recordId => bytes32 reasonHash) private _revocations;
    // Root -> record count; non-zero means anchored.
    mapping(bytes32 merkleRoot => uint256 count) private _batches;
    mapping(address account => bool) public isRegistrar;
    address public owner;

    // Anonymous on purpose: the record id takes the first topic instead of the event signature,
    // saving 375 gas per record. The 50k budget is tight: 21k base + 22.1k new slot + 2.1k cold
    // registrar check + ~2.4k calldata + ~1.6k log leave ~0.5k for everything else. For the same
    // reason the manifest hash is not repeated here (storage holds it), and Motif's record ids
    // are 128-bit values left-aligned in the bytes32, whose 16 zero bytes cost 4 gas instead of 16.
    // Clients tell these logs apart from the named events below by their two topics and 64 data
    // bytes, and by topic0 not being one of the named events' signatures.
    event Attributed(
        bytes32 indexed recordId,
        bytes32 indexed outputHash,
        bytes32 basePatternHash,
        bytes32 styleHash
    ) anonymous;
    event Revoked(bytes32 indexed recordId, bytes32 reasonHash);
    event BatchAnchored(bytes32 indexed merkleRoot, uint256 count);
    event RegistrarAdded(address indexed account);
    event RegistrarRemoved(address indexed account);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    error NotOwner(address caller);
    error NotRegistrar(address caller);
    error ZeroHash();
    error ZeroAddress();
    error RecordAlreadyAttributed(bytes32 recordId, bytes32 manifestHash);
    error AlreadyRevoked(bytes32 recordId);
    error BatchAlreadyAnchored(bytes32 merkleRoot);
    error EmptyBatch();

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    modifier onlyRegistrar() {
        if (!isRegistrar[msg.sender]) revert NotRegistrar(msg.sender);
        _;
    }

    constructor() {
        owner = msg.sender;
        isRegistrar[msg.sender] = true;
        emit OwnershipTransferred(address(0), msg.sender);
        emit RegistrarAdded(msg.sender);
    }

    function attribute(
        bytes32 recordId,
        bytes32 manifestHash,
        bytes32 outputHash,
        bytes32 basePatternHash,
        bytes32 styleHash
    ) external onlyRegistrar {
        if (manifestHash == bytes32(0)) revert ZeroHash();
        bytes32 existing = _manifests[recordId];
        // The stored hash travels with the error so a resending client can tell "already done"
        // from "conflicting record" without a second call.
        if (existing != bytes32(0)) revert RecordAlreadyAttributed(recordId, existing);
        _manifests[recordId] = manifestHash;
        emit Attributed(recordId, outputHash, basePatternHash, styleHash);
    }

    function revoke(bytes32 recordId, bytes32 reasonHash) external onlyRegistrar {
        if (reasonHash == bytes32(0)) revert ZeroHash();
        if (_revocations[recordId] != bytes32(0)) revert AlreadyRevoked(recordId);
        _revocations[recordId] = reasonHash;
        emit Revoked(recordId, reasonHash);
    }

    function anchorBatch(bytes32 merkleRoot, uint256 count) external onlyRegistrar {
        if (merkleRoot == bytes32(0)) revert ZeroHash();
        if (count == 0) revert EmptyBatch();
        if (_batches[merkleRoot] != 0) revert BatchAlreadyAnchored(merkleRoot);
        _batches[merkleRoot] = count;
        emit BatchAnchored(merkleRoot, count);
    }

    function addRegistrar(address account) external onlyOwner {
        if (account == address(0)) revert ZeroAddress();
        isRegistrar[account] = true;
        emit RegistrarAdded(account);
    }

    function removeRegistrar(address account) external onlyOwner {
        isRegistrar[account] = false;
        emit RegistrarRemoved(account);
    }

    function transferOwnership(address newOwner) external onlyOwner {
        if (newOwner == address(0)) revert ZeroAddress();
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }

    function manifestOf(bytes32 recordId) external view returns (bytes32) {
        return _manifests[recordId];
    }

    function isRevoked(bytes32 recordId) external view returns (bool) {
        return _revocations[recordId] != bytes32(0);
    }

    function batchAnchored(bytes32 merkleRoot) external view returns (bool) {
        return _batches[merkleRoot] != 0;
    }

    function registryVersion() external pure returns (string memory) {
        return VERSION;
    }

}
