// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Atalaya anchor: publishes the Merkle root of each batch of telemetry records.
/// @notice One call per anchoring period. The root lives only in the event log (about 24,000 gas
/// a call, against about 44,000 for a storage write; docs/anchoring.md#contract-and-gas): a verifier
/// finds it in the receipt of the transaction its proof names, or with eth_getLogs by topic.
/// The root does not commit to the tree size (RFC 9162 §2.1.3.2), so the size is published with it.
contract AtalayaAnchor {
    /// @notice The only sender allowed to anchor: the relay's key, fixed at deployment.
    address public immutable owner;

    /// @param root RFC 6962 Merkle tree hash over the batch's canonical records.
    /// @param batchId The relay's batch number.
    /// @param treeSize Number of records (leaves) in the tree.
    event Anchored(bytes32 indexed root, uint64 indexed batchId, uint64 treeSize);

    error NotOwner();

    constructor() {
        owner = msg.sender;
    }

    function anchor(bytes32 root, uint64 batchId, uint64 treeSize) external {
        if (msg.sender != owner) revert NotOwner();
        emit Anchored(root, batchId, treeSize);
    }
}
