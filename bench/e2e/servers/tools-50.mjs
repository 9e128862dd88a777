// The 49 tools registered beside `echo` by the 50-tool servers (sdk2-50, ours-stateless-50),
// so the cost of a large toolset shows: a server that rebuilds its registry per request (the
// SDK v2's createMcpHandler factory) pays for all 50 on every call, one that keeps it does not.
// Written once as data, the shapes typical MCP servers expose (3-6 typed fields, descriptions,
// enums, bounds, optional fields), and turned into zod (what SDK users write) or JSON Schema
// (what erlmcp takes) by the two functions below. Only `echo` is ever called.

/**
 * @typedef {{ type: 'string' | 'integer' | 'number' | 'boolean' | 'string[]', description: string,
 *   optional?: boolean, enum?: string[], min?: number, max?: number }} Field
 * @typedef {{ name: string, description: string, fields: Record<string, Field> }} ToolSpec
 */

const s = (description, extra = {}) => ({ type: 'string', description, ...extra });
const opt = (field) => ({ ...field, optional: true });
const int = (description, min, max) => ({ type: 'integer', description, min, max });
const bool = (description) => ({ type: 'boolean', description, optional: true });
const list = (description) => ({ type: 'string[]', description, optional: true });
const oneOf = (description, values) => ({ type: 'string', description, enum: values });

/** @type {ToolSpec[]} */
export const EXTRA_TOOLS = [
  t('create_issue', 'Open an issue in a repository', {
    owner: s('Repository owner'),
    repo: s('Repository name'),
    title: s('Issue title'),
    body: opt(s('Issue body in Markdown')),
    labels: list('Labels to apply'),
    assignee: opt(s('Login of the assignee')),
  }),
  t('list_issues', 'List issues of a repository', {
    owner: s('Repository owner'),
    repo: s('Repository name'),
    state: oneOf('Issue state', ['open', 'closed', 'all']),
    perPage: int('Results per page', 1, 100),
    page: opt(int('Page number', 1, 1000)),
  }),
  t('comment_issue', 'Add a comment to an issue', {
    owner: s('Repository owner'),
    repo: s('Repository name'),
    number: int('Issue number', 1, 1e9),
    body: s('Comment text in Markdown'),
  }),
  t('create_pull_request', 'Open a pull request', {
    owner: s('Repository owner'),
    repo: s('Repository name'),
    head: s('Branch with the changes'),
    base: s('Branch to merge into'),
    title: s('Pull request title'),
    draft: bool('Open as a draft'),
  }),
  t('merge_pull_request', 'Merge a pull request', {
    owner: s('Repository owner'),
    repo: s('Repository name'),
    number: int('Pull request number', 1, 1e9),
    method: oneOf('Merge method', ['merge', 'squash', 'rebase']),
    commitTitle: opt(s('Title of the merge commit')),
  }),
  t('search_code', 'Search code across repositories', {
    query: s('Search query'),
    language: opt(s('Programming language filter')),
    perPage: int('Results per page', 1, 100),
  }),
  t('read_file', 'Read a file from the workspace', {
    path: s('Path relative to the workspace root'),
    encoding: oneOf('Text encoding', ['utf8', 'base64']),
    startLine: opt(int('First line to read', 1, 1e7)),
    endLine: opt(int('Last line to read', 1, 1e7)),
  }),
  t('write_file', 'Write a file in the workspace', {
    path: s('Path relative to the workspace root'),
    content: s('New file content'),
    createDirs: bool('Create missing parent directories'),
  }),
  t('list_directory', 'List the entries of a directory', {
    path: s('Directory path'),
    recursive: bool('Descend into subdirectories'),
    pattern: opt(s('Glob the names must match')),
  }),
  t('move_file', 'Move or rename a file', {
    from: s('Current path'),
    to: s('New path'),
    overwrite: bool('Replace an existing file'),
  }),
  t('search_files', 'Find files whose content matches a pattern', {
    pattern: s('Regular expression'),
    path: opt(s('Directory to search')),
    caseSensitive: bool('Match case'),
    maxResults: int('Most matches to return', 1, 10_000),
  }),
  t('create_event', 'Create a calendar event', {
    calendarId: s('Calendar identifier'),
    title: s('Event title'),
    start: s('Start time, ISO 8601'),
    end: s('End time, ISO 8601'),
    attendees: list('E-mail addresses of attendees'),
    location: opt(s('Where it takes place')),
  }),
  t('list_events', 'List events in a time range', {
    calendarId: s('Calendar identifier'),
    from: s('Range start, ISO 8601'),
    to: s('Range end, ISO 8601'),
    maxResults: int('Most events to return', 1, 2500),
  }),
  t('find_free_slot', 'Find a free slot for a meeting', {
    attendees: list('E-mail addresses of attendees'),
    durationMinutes: int('Meeting length in minutes', 5, 480),
    from: s('Earliest start, ISO 8601'),
    to: s('Latest end, ISO 8601'),
  }),
  t('send_email', 'Send an e-mail', {
    to: list('Recipients'),
    cc: list('Copy recipients'),
    subject: s('Subject line'),
    body: s('Message body'),
    html: bool('Body is HTML'),
  }),
  t('search_email', 'Search the mailbox', {
    query: s('Search query'),
    folder: opt(s('Folder to search')),
    unreadOnly: bool('Only unread messages'),
    maxResults: int('Most messages to return', 1, 500),
  }),
  t('label_email', 'Add or remove labels on a message', {
    messageId: s('Message identifier'),
    add: list('Labels to add'),
    remove: list('Labels to remove'),
  }),
  t('crm_find_contact', 'Look up a contact in the CRM', {
    email: opt(s('Contact e-mail')),
    name: opt(s('Contact name')),
    company: opt(s('Company name')),
    limit: int('Most contacts to return', 1, 200),
  }),
  t('crm_create_deal', 'Create a deal in the CRM', {
    title: s('Deal title'),
    contactId: s('Contact identifier'),
    amount: { type: 'number', description: 'Deal value', min: 0 },
    currency: oneOf('ISO currency code', ['USD', 'EUR', 'GBP', 'JPY']),
    stage: oneOf('Pipeline stage', ['lead', 'qualified', 'proposal', 'won', 'lost']),
  }),
  t('crm_update_deal', 'Move a deal to another stage', {
    dealId: s('Deal identifier'),
    stage: oneOf('Pipeline stage', ['lead', 'qualified', 'proposal', 'won', 'lost']),
    note: opt(s('Why it moved')),
  }),
  t('crm_log_call', 'Log a call with a contact', {
    contactId: s('Contact identifier'),
    durationMinutes: int('Call length in minutes', 0, 600),
    outcome: oneOf('Call outcome', ['connected', 'voicemail', 'no_answer']),
    summary: opt(s('What was discussed')),
  }),
  t('sql_query', 'Run a read-only SQL query', {
    database: s('Database name'),
    sql: s('SELECT statement'),
    maxRows: int('Most rows to return', 1, 10_000),
    timeoutMs: opt(int('Query timeout in ms', 100, 60_000)),
  }),
  t('sql_describe_table', 'Describe the columns of a table', {
    database: s('Database name'),
    schema: opt(s('Schema name')),
    table: s('Table name'),
  }),
  t('sql_list_tables', 'List the tables of a database', {
    database: s('Database name'),
    schema: opt(s('Schema name')),
    pattern: opt(s('LIKE pattern the names must match')),
  }),
  t('kv_get', 'Read a key from the key-value store', {
    namespace: s('Key namespace'),
    key: s('Key'),
  }),
  t('kv_put', 'Write a key to the key-value store', {
    namespace: s('Key namespace'),
    key: s('Key'),
    value: s('Value'),
    ttlSeconds: opt(int('Expiry in seconds', 1, 31_536_000)),
  }),
  t('deploy_service', 'Deploy a service version', {
    service: s('Service name'),
    version: s('Image tag or commit'),
    environment: oneOf('Target environment', ['dev', 'staging', 'production']),
    replicas: int('Replica count', 0, 1000),
    canary: bool('Roll out as a canary first'),
  }),
  t('rollback_service', 'Roll a service back to its previous version', {
    service: s('Service name'),
    environment: oneOf('Target environment', ['dev', 'staging', 'production']),
    reason: s('Why it is rolled back'),
  }),
  t('scale_service', 'Change the replica count of a service', {
    service: s('Service name'),
    environment: oneOf('Target environment', ['dev', 'staging', 'production']),
    replicas: int('Replica count', 0, 1000),
  }),
  t('get_logs', 'Fetch recent logs of a service', {
    service: s('Service name'),
    since: s('Start time, ISO 8601 or a duration like 15m'),
    level: oneOf('Lowest level', ['debug', 'info', 'warn', 'error']),
    limit: int('Most lines to return', 1, 10_000),
    query: opt(s('Text the lines must contain')),
  }),
  t('get_metrics', 'Query a metric time series', {
    metric: s('Metric name'),
    from: s('Range start, ISO 8601'),
    to: s('Range end, ISO 8601'),
    stepSeconds: int('Resolution in seconds', 1, 86_400),
    aggregation: oneOf('Aggregation', ['avg', 'sum', 'min', 'max', 'p95']),
  }),
  t('create_alert', 'Create an alert rule', {
    name: s('Rule name'),
    metric: s('Metric name'),
    threshold: { type: 'number', description: 'Value that fires the alert' },
    comparator: oneOf('Comparison', ['gt', 'lt', 'eq']),
    channel: s('Notification channel'),
  }),
  t('post_message', 'Post a message to a chat channel', {
    channel: s('Channel name or id'),
    text: s('Message text'),
    threadId: opt(s('Reply in this thread')),
    mentions: list('Users to mention'),
  }),
  t('list_channels', 'List chat channels', {
    includeArchived: bool('Include archived channels'),
    limit: int('Most channels to return', 1, 1000),
    cursor: opt(s('Pagination cursor')),
  }),
  t('read_channel', 'Read recent messages of a channel', {
    channel: s('Channel name or id'),
    limit: int('Most messages to return', 1, 1000),
    before: opt(s('Only messages before this time, ISO 8601')),
  }),
  t('get_weather', 'Current weather for a place', {
    location: s('City name or lat,lon'),
    units: oneOf('Unit system', ['metric', 'imperial']),
    language: opt(s('Language of the description')),
  }),
  t('get_forecast', 'Weather forecast for a place', {
    location: s('City name or lat,lon'),
    days: int('Days ahead', 1, 14),
    units: oneOf('Unit system', ['metric', 'imperial']),
  }),
  t('geocode', 'Turn an address into coordinates', {
    address: s('Street address'),
    country: opt(s('ISO country code')),
    limit: int('Most candidates to return', 1, 20),
  }),
  t('route', 'Plan a route between two places', {
    from: s('Start address or lat,lon'),
    to: s('Destination address or lat,lon'),
    mode: oneOf('Travel mode', ['driving', 'walking', 'cycling', 'transit']),
    avoidTolls: bool('Avoid toll roads'),
  }),
  t('create_invoice', 'Create an invoice for a customer', {
    customerId: s('Customer identifier'),
    amount: { type: 'number', description: 'Amount due', min: 0 },
    currency: oneOf('ISO currency code', ['USD', 'EUR', 'GBP', 'JPY']),
    dueDate: s('Due date, ISO 8601'),
    memo: opt(s('Note printed on the invoice')),
  }),
  t('refund_payment', 'Refund a payment', {
    paymentId: s('Payment identifier'),
    amount: { type: 'number', description: 'Amount to refund (default: all)', min: 0, optional: true },
    reason: oneOf('Refund reason', ['duplicate', 'fraudulent', 'requested_by_customer']),
  }),
  t('list_payments', 'List payments of a customer', {
    customerId: s('Customer identifier'),
    status: oneOf('Payment status', ['succeeded', 'pending', 'failed', 'all']),
    limit: int('Most payments to return', 1, 100),
  }),
  t('run_report', 'Run an analytics report', {
    report: s('Report name'),
    from: s('Range start, ISO 8601'),
    to: s('Range end, ISO 8601'),
    dimensions: list('Dimensions to group by'),
    limit: int('Most rows to return', 1, 100_000),
  }),
  t('track_event', 'Record an analytics event', {
    event: s('Event name'),
    userId: s('User identifier'),
    properties: opt(s('Event properties as JSON')),
    timestamp: opt(s('When it happened, ISO 8601')),
  }),
  t('create_ticket', 'Open a support ticket', {
    subject: s('Ticket subject'),
    description: s('What the customer reports'),
    priority: oneOf('Priority', ['low', 'normal', 'high', 'urgent']),
    requesterEmail: s('E-mail of the requester'),
    tags: list('Tags'),
  }),
  t('update_ticket', 'Update a support ticket', {
    ticketId: s('Ticket identifier'),
    status: oneOf('Ticket status', ['open', 'pending', 'solved', 'closed']),
    comment: opt(s('Comment to add')),
    public: bool('Comment is visible to the requester'),
  }),
  t('search_docs', 'Search the documentation', {
    query: s('Search query'),
    product: opt(s('Product to search in')),
    version: opt(s('Product version')),
    limit: int('Most results to return', 1, 50),
  }),
  t('translate_text', 'Translate text', {
    text: s('Text to translate'),
    targetLanguage: s('Target language code'),
    sourceLanguage: opt(s('Source language code (default: detect)')),
    formality: oneOf('Formality', ['default', 'more', 'less']),
  }),
  t('summarize_url', 'Fetch a web page and summarize it', {
    url: s('Page address'),
    maxWords: int('Longest summary in words', 10, 2000),
    includeLinks: bool('List the links of the page'),
  }),
];

function t(name, description, fields) {
  return { name, description, fields };
}

/** The JSON Schema (2020-12, the MCP default dialect) of a tool's input. @param {ToolSpec} tool */
export function toJsonSchema(tool) {
  /** @type {Record<string, object>} */
  const properties = {};
  const required = [];
  for (const [key, f] of Object.entries(tool.fields)) {
    /** @type {Record<string, unknown>} */
    const p =
      f.type === 'string[]'
        ? { type: 'array', items: { type: 'string' }, description: f.description }
        : { type: f.type, description: f.description };
    if (f.enum) p.enum = f.enum;
    if (f.min !== undefined) p.minimum = f.min;
    if (f.max !== undefined) p.maximum = f.max;
    properties[key] = p;
    if (!f.optional) required.push(key);
  }
  return { type: 'object', properties, required };
}

/**
 * The zod object an SDK user writes for the same input (`z.object({ owner: z.string()
 * .describe('...'), ... })`). Called inside the SDK factory, as its docs register tools.
 * @param {ToolSpec} tool @param {typeof import('zod/v4').z} z
 */
export function toZod(tool, z) {
  /** @type {Record<string, import('zod/v4').ZodType>} */
  const shape = {};
  for (const [key, f] of Object.entries(tool.fields)) {
    /** @type {any} */
    let v;
    if (f.type === 'string[]') v = z.array(z.string());
    else if (f.enum) v = z.enum(/** @type {[string, ...string[]]} */ (f.enum));
    else if (f.type === 'string') v = z.string();
    else if (f.type === 'boolean') v = z.boolean();
    else v = f.type === 'integer' ? z.number().int() : z.number();
    if (f.min !== undefined) v = v.min(f.min);
    if (f.max !== undefined) v = v.max(f.max);
    v = v.describe(f.description);
    shape[key] = f.optional ? v.optional() : v;
  }
  return z.object(shape);
}
