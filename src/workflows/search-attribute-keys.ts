import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';

// Custom search attributes every run carries, so ops can filter runs in the Temporal UI and the API
// can list a caller's runs from visibility. Here (not in src/temporal) because the workflow sets one.
export const ChainNameKey = defineSearchAttributeKey('ChainName', SearchAttributeType.KEYWORD);
export const ChainVersionKey = defineSearchAttributeKey('ChainVersion', SearchAttributeType.INT);
export const CallerIdKey = defineSearchAttributeKey('CallerId', SearchAttributeType.KEYWORD);
/** The run's own outcome, set when it ends: Temporal's status cannot tell timed_out or budget stops from failures. */
export const RunStatusKey = defineSearchAttributeKey('RunStatus', SearchAttributeType.KEYWORD);
/** A webhook delivery's status (pending, delivered, failed): the failed-deliveries list filters on it. */
export const DeliveryStatusKey = defineSearchAttributeKey('DeliveryStatus', SearchAttributeType.KEYWORD);
