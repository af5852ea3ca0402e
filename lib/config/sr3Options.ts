// sr3's option keywords that mean nothing for mail: a config written for sr3, or copied from
// its examples, loads with one warning per such line saying why it has no effect, instead of
// failing on an "unknown option". Every keyword the vendored sr3 knows (scripts/sr3-keywords.py)
// is either an option of mailpump (options.ts), a directive of the parser, or listed here: a
// test fails on any other, and docs/sr3.md lists them all (npm run docs:sr3).

/** Why a group of sr3 keywords has no effect in mailpump. */
const WITHOUT_EFFECT: ReadonlyArray<{ readonly why: string; readonly whyFr: string; readonly keywords: readonly string[] }> = [
  {
    why: 'it tunes how sr3 transfers and places files; mailpump writes the parts of mail, named and made durable its own way',
    whyFr: 'il règle la façon dont sr3 transfère et place les fichiers ; mailpump écrit les parties du courrier, nommées et rendues durables à sa façon',
    keywords: [
      'accelCpCommand', 'accelFtpgetCommand', 'accelFtpputCommand', 'accelScpCommand', 'accelThreshold', 'accelWgetCommand',
      'accel_cp_command', 'accel_cp_threshold', 'accel_scp_command', 'accel_scp_threshold', 'accel_threshold', 'accel_wget_command',
      'accel_wget_threshold', 'download_cp_command', 'blockSize', 'blocksize', 'bufSize', 'bufsize', 'byteRateMax', 'inplace',
      'inflight', 'lock', 'overwrite', 'o', 'permCopy', 'pm', 'preserve_mode', 'timeCopy', 'pt', 'preserve_time', 'permDefault',
      'chmod', 'default_mode', 'permDirDefault', 'chmod_dir', 'default_dir_mode', 'permLog', 'chmod_log', 'default_log_mode',
      'baseDir', 'bd', 'base_dir', 'basedir', 'documentRoot', 'document_root', 'post_documentRoot', 'post_document_root', 'sendTo',
      'remoteUrl', 'rename', 'filename', 'discard', 'd', 'download-and-discard', 'delete_destination', 'delete_source',
      'destfn_replace', 'destfn_script', 'acceptSizeWrong', 'fileSizeMax', 'identity', 'identity_method', 'integrity', 'sum',
      'parts', 'inlineByteMax', 'imx', 'inline_max', 'inlineEncoding', 'inline_encoding', 'inlineOnly', 'content', 'content_encoding',
      'content_max', 'inl', 'ftpFilenameEncoding', 'binaryInitialCharacters', 'inputCharset', 'acceptMediaType', 'timezone',
      'destination_timezone', 'varTimeOffset',
    ],
  },
  {
    why: 'it is about watching, posting or polling files and directories; mailpump polls mailboxes (pollUrl, folder) and the top of a directory (pollUrl file:, fileAgeMin)',
    whyFr: 'il sert à surveiller, publier ou interroger des fichiers et des répertoires ; mailpump interroge des boîtes aux lettres (pollUrl, folder) et le haut d\'un répertoire (pollUrl file:, fileAgeMin)',
    keywords: [
      'path', 'p', 'recursive', 'fileEvents', 'e', 'events', 'follow_symlinks', 'fs', 'force_polling', 'fp', 'realpath', 'realpathFilter',
      'realpath_filter', 'realpathPost', 'realpath_post', 'fileAgeMax', 'file_time_limit', 'nodupe_fileAgeMax',
      'nodupe_fileAgeMin', 'post_on_start', 'baseUrl', 'baseurl', 'baseUrl_relPath', 'shiftDir2baseUrl', 'timeNowMinus',
      'pollLsdirRateMax', 'pollRateLimit_count', 'pollRateLimit_period', 'post_urlTemplate', 'post_whenNoMetadata', 'queryString',
      'pageSize', 'post_topic', 'topic', 'topicCopy',
    ],
  },
  {
    why: 'it sets an option of one of sr3\'s own plugins (flowcb), which mailpump does not run',
    whyFr: 'il règle une option d\'un des plugins de sr3 (flowcb), que mailpump ne fait pas tourner',
    keywords: [
      'AWS_regionName', 'AWS_sessionToken', 'AllowIPs', 'MaxBulLen', 'MissingAMHeaders', 'apiTokenUrl', 'clientId', 'collectionConceptId',
      'collectionId', 'dap_fileType', 'dap_urlExtension', 'dataCollection', 'dataSource', 'distbydir_offset', 'earthdataUrl',
      'file_email_command', 'file_email_from', 'file_email_relay', 'file_email_to', 'file_send_egc_les_telnet',
      'file_send_egc_les_timeout', 'filter_wmo2msc_convert', 'filter_wmo2msc_replace_dir', 'filter_wmo2msc_treeify',
      'filter_wmo2msc_uniquify', 'msg_filter_wmo2msc_convert', 'msg_filter_wmo2msc_replace_dir', 'msg_filter_wmo2msc_tree',
      'msg_filter_wmo2msc_uniquify', 'geometry', 'geometry_maxDistance', 'grantType', 'mapStations2AHL', 'mdelay', 'fdelay',
      'msg_fdelay', 'msgSaveFile', 'msgSpeedoInterval', 'msg_speedo_maxlag', 'msgToClusters', 'openidConnectUrl', 'pathReplace',
      'pathReplaceFields', 'msg_replace_new_dir', 'poll_nexrad_day', 'poll_usgs_station', 'postOverride', 'postOverrideDel',
      'productID', 'pxClient', 'pxRouting', 'redisqueue_serverurl', 'nodupe_redis_keybase', 'nodupe_redis_serverurl',
      'relatedUrl_descriptionContains', 'relatedUrl_type', 'relatedUrl_urlContains', 'tokenEndpoint_baseUrl', 'tokenEndpoint_path',
      'wiski_ts_length', 'wiski_ts_name', 'wiski_ts_parameterTypeName', 'callback_prepend', 'cbp', 'flow_callback_prepend',
      'flowcb_prepend', 'fcb', 'fcbp', 'flowCallbackPrepend', 'flowMain', 'import', 'no-import', 'set', 'setting', 's',
      'run_accept', 'run_accept_item', 'run_gather', 'run_housekeeping', 'run_post', 'run_start', 'run_stop', 'run_work', 'run_work_item',
      'announce_list', 'block_manifest_delete', 'poll_noaa_stn_file', 'post_urlType', 'retrievePathPattern', 'rxpipe_name', 'rxq_name',
      'wmo00_accumulatedByteCountMax', 'wmo00_byteCountMax', 'wmo00_encapsulate', 'wmo00_origin_CCCC', 'wmo00_tree', 'wmo00_type_marker',
      'wmo00_work_directory',
    ],
  },
  {
    why: 'it is a Sarracenia v2 option or plugin that sr3 converts or drops; mailpump does the same work built in',
    whyFr: 'c\'est une option ou un plugin de Sarracenia v2 que sr3 convertit ou abandonne ; mailpump fait le même travail de lui-même',
    keywords: [
      'do_data', 'do_download', 'do_get', 'do_poll', 'do_put', 'do_send', 'do_task', 'on_file', 'on_heartbeat', 'on_html_page', 'on_line',
      'on_message', 'on_msg', 'on_part', 'on_post', 'on_report', 'on_start', 'on_stop', 'on_watch', 'plugin', 'continue', 'cache_stat',
      'cluster_aliases', 'from_cluster', 'to_clusters', 'ls_file_index', 'file_total_interval', 'msg_total_interval',
      'post_total_interval', 'post_log_format', 'poll_without_vip', 'pump', 'pump_flag', 'reconnect', 'report_daemons', 'restore',
      'retry_mode', 'save', 'set_passwords', 'windows_run', 'xattr_disable', 'v2compatRenameDoublePost',
      'sundew_compat_regex_first_match_is_zero', 'wololo', 'cache', 'cache_basis', 'suppress_duplicates_basis', 'sd', 'sdb', 'nd',
    ],
  },
  {
    why: 'it concerns sr3\'s reports, clusters and message sources, which mailpump neither sends nor reads',
    whyFr: 'il concerne les rapports, grappes et sources de messages de sr3, que mailpump n\'envoie ni ne lit',
    keywords: [
      'report', 'report_back', 'report_broker', 'report_exchange', 'report_exchangeSplit', 'report_topic', 'report_topicPrefix',
      'cluster', 'statehost', 'source', 'sourceFromExchange', 'source_from_exchange', 'sourceFromMessage', 'hostname',
    ],
  },
  {
    why: 'it belongs to sr3\'s administration of a pump (users, feeders, admin broker); mailpump declares only what its configs use',
    whyFr: 'il relève de l\'administration d\'une pompe par sr3 (utilisateurs, feeders, broker d\'administration) ; mailpump ne déclare que ce que ses configs utilisent',
    keywords: ['admin', 'feeder', 'manager', 'users', 'amqp_consumer', 'durable', 'persistent', 'exchangeSplit', 'exchange_split', 'post_exchangeSplit', 'post_exchange_split'],
  },
  {
    why: 'it tunes sr3\'s own logging, state or run-state thresholds; mailpump has its own (logLevel, sr status, runStateThreshold_hung)',
    whyFr: 'il règle la journalisation, l\'état ou les seuils d\'état de marche propres à sr3 ; mailpump a les siens (logLevel, sr status, runStateThreshold_hung)',
    keywords: [
      'runStateThreshold_cpuSlow', 'runStateThreshold_idle', 'runStateThreshold_lag', 'runStateThreshold_reject', 'runStateThreshold_retry',
      'runStateThreshold_slow', 'MemoryBaseLineFile', 'MemoryMax', 'MemoryMultiplier', 'hb_memory_baseline_file', 'hb_memory_max',
      'hb_memory_multiplier', 'logFormat', 'log_format', 'logJson', 'logMetrics', 'logStdout', 'logDuplicates', 'logMessageDump',
      'messageDebugDump', 'retryEmptyBeforeExit', 'retry_refilter', 'retry_driver', 'nodupe_driver', 'nodupe_basis', 'randomize',
      'reset', 'debug', 'count', 'masks', 'subscriptions', 'no',
    ],
  },
  {
    why: 'it limits sr3\'s message rate or format; mailpump announces v03 notifications, as fast as the mailbox gives them',
    whyFr: 'il limite le débit ou le format des messages de sr3 ; mailpump annonce des notifications v03, aussi vite que la boîte les donne',
    keywords: ['messageRateMax', 'messageRateMin', 'post_rate_limit', 'post_format', 'post_messageAgeMax', 'message-ttl', 'message_ttl'],
  },
  {
    why: 'it is a word of sr3\'s command line, not of a config file',
    whyFr: 'c\'est un mot de la ligne de commande de sr3, pas d\'un fichier de config',
    keywords: ['a', 'action', 'help', 'h', 'dry_run', 'simulate', 'simulation', 'c', 'n'],
  },
];

/**
 * mailpump's options that sr3 does not have. The others are sr3's too, which sr3 takes in
 * any component: written in a component where mailpump has no use for them (`directory` in a
 * poll), they get a warning, where a mailpump option out of place is refused.
 */
const MAILPUMP_OWN = new Set([
  'deadLetterMax', 'deadLetterAge', 'post_mandatory', 'attachmentsOnly', 'fileSync', 'decodeBudget', 'decodeDepth', 'acceptFile',
  'rejectFile', 'acceptUnmatchedFile', 'sidecar', 'saveRaw', 'rawDirectory', 'maxMessageSize', 'mailAction', 'retry_expire',
  'quarantineDirectory', 'quarantineFolder', 'quarantineAgeMax', 'quarantineSizeMax', 'folder', 'folderRecursive', 'mailSearch', 'idle', 'imapCompress', 'schedule', 'tls',
  'tlsCa', 'tlsVerify', 'stop_timeout', 'firstPass', 'metricsDirectory', 'envelopes', 'envelopeSource', 'fileAction',
]);

/** Whether a word of mailpump's option table is sr3's too. */
export function isSr3Word(keyword: string): boolean {
  return !MAILPUMP_OWN.has(keyword);
}

/** mailpump's own option words, for the test that keeps this list true. */
export function mailpumpOwnWords(): ReadonlySet<string> {
  return MAILPUMP_OWN;
}

const WHY = new Map(WITHOUT_EFFECT.flatMap(({ why, keywords }) => keywords.map((keyword) => [keyword, why] as const)));

/** Why an sr3 keyword has no effect in mailpump; undefined for a word sr3 does not know either. */
export function sr3WithoutEffect(keyword: string): string | undefined {
  return WHY.get(keyword);
}

const WHY_FR = new Map(WITHOUT_EFFECT.flatMap(({ whyFr, keywords }) => keywords.map((keyword) => [keyword, whyFr] as const)));

/** Every keyword listed, with why (in French for docs/fr/sr3.md), for docs/sr3.md and its test. */
export function sr3KeywordsWithoutEffect(language: 'en' | 'fr' = 'en'): ReadonlyMap<string, string> {
  return language === 'fr' ? WHY_FR : WHY;
}
