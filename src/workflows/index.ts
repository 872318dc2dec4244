// The workflow bundle's entry: every workflow type the worker registers.
export { chainWorkflow } from './chain.js';
export { webhookDeliveryWorkflow } from './webhook-delivery.js';
export { rerunBatchWorkflow } from './rerun-batch.js';
