// The option table: the one place that says which options exist, their kind, default
// per component, aliases and help. The parser, `sr show` and docs/options.md read it.
// Names and aliases follow sr3 (sr3.md 3.5, 3.6); options that come with a later part
// of mailpump are added to this table by that part, not before.
import type { Component } from './components.js';

export type OptionKind =
  | 'flag' | 'duration' | 'count' | 'size' | 'octal' | 'str' | 'url' | 'enum' | 'set'
  /** every occurrence appends a value */
  | 'list' | 'urlList'
  /** order-sensitive rules (sr3.md 3.4): each line snapshots the options above it */
  | 'mask' | 'subtopic'
  /** acceptFile / rejectFile: one ordered list of rules on decoded file names */
  | 'fileRule';

export type OptionValue = boolean | number | string | readonly string[] | undefined;

export interface OptionSpec {
  readonly name: string;
  readonly kind: OptionKind;
  readonly help: string;
  /** the same in French, for docs/fr/options.md (the French twin of the option reference) */
  readonly helpFr: string;
  readonly aliases?: readonly string[];
  /** components that accept it; all when absent */
  readonly components?: readonly Component[];
  /** the default, or one per component */
  readonly default?: OptionValue | { readonly [C in Component]?: OptionValue };
  /** allowed words for enum and set options */
  readonly choices?: readonly string[];
  /** allowed URL schemes for url options */
  readonly schemes?: readonly string[];
  /** the value holds per-message `${...}` fields, evaluated when a message is processed */
  readonly template?: boolean;
  /** the least a count may be (0 when absent) */
  readonly min?: number;
}

export const BROKER_SCHEMES = ['local', 'amqp', 'amqps'] as const;
export const MAIL_SCHEMES = ['imap', 'imaps', 'pop', 'pops'] as const;
/** What a poll's pollUrl may name: a mailbox, or a local directory to watch (file:). */
export const POLL_SCHEMES = [...MAIL_SCHEMES, 'file'] as const;
export const LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const;
/** sr3's logEvents words (its flowcb entry points, reject and nodupe): mailpump logs at the first six. */
export const LOG_EVENT_CHOICES = [
  'after_accept', 'after_post', 'after_work', 'on_housekeeping', 'reject', 'nodupe', 'ack', 'destfn', 'do_poll', 'download', 'gather',
  'metricsReport', 'on_cleanup', 'on_declare', 'on_features', 'on_sanity', 'on_start', 'on_stop', 'please_stop', 'poll', 'post', 'report', 'send',
] as const;

export const OPTIONS: readonly OptionSpec[] = [
  // Brokers and topology (sr3.md 5.4)
  { name: 'broker', kind: 'url', schemes: BROKER_SCHEMES, components: ['subscribe'], aliases: ['b'],
    help: 'Broker to read notifications from: local: (embedded, the default) or amqp[s]://user@host[:port]/[vhost].',
    helpFr: 'Broker où lire les notifications : local: (embarqué, par défaut) ou amqp[s]://utilisateur@hôte[:port]/[vhost].' },
  { name: 'exchange', kind: 'str', aliases: ['ex'], components: ['subscribe'],
    help: 'Exchange to bind to; default xs_<broker user>, or xs_<broker user>_<exchangeSuffix>.',
    helpFr: 'Exchange auquel se lier ; par défaut xs_<utilisateur du broker>, ou xs_<utilisateur du broker>_<exchangeSuffix>.' },
  { name: 'exchangeSuffix', kind: 'str', aliases: ['exchange_suffix'], components: ['subscribe'],
    help: 'Without an exchange line: bind to xs_<broker user>_<exchangeSuffix> (sr3).',
    helpFr: 'Sans ligne exchange : se lier à xs_<utilisateur du broker>_<exchangeSuffix> (sr3).' },
  { name: 'topicPrefix', kind: 'str', default: 'v03', aliases: ['topic_prefix'],
    help: 'First words of every topic, v03 for sr3 v03 notifications.',
    helpFr: 'Premiers mots de chaque topic, v03 pour les notifications v03 de sr3.' },
  { name: 'subtopic', kind: 'subtopic', components: ['subscribe'],
    help: 'One binding per line: <topicPrefix>.<subtopic>, with * for one word and # for any; uses the exchange, topicPrefix and queueName written above it.',
    helpFr: 'Une liaison par ligne : <topicPrefix>.<subtopic>, * pour un mot et # pour n\'importe quelle suite ; prend l\'exchange, le topicPrefix et le queueName écrits au-dessus.' },
  { name: 'queueName', kind: 'str', components: ['subscribe'], aliases: ['queue', 'queue_name', 'qn'],
    help: 'Queue shared by the instances; default q_<broker user>.<component>.<config>.<share>, kept once chosen.',
    helpFr: 'File partagée par les instances ; par défaut q_<utilisateur du broker>.<composant>.<config>.<partage>, conservée une fois choisie.' },
  { name: 'queueShare', kind: 'str', components: ['subscribe'],
    help: 'Last word of the default queue name, deciding who shares the queue; default ${USER}_${HOSTNAME}_<8 random digits>.',
    helpFr: 'Dernier mot du nom de file par défaut, qui décide qui partage la file ; par défaut ${USER}_${HOSTNAME}_<8 chiffres au hasard>.' },
  { name: 'queueDeclare', kind: 'flag', default: true, components: ['subscribe'], aliases: ['declare_queue'],
    help: 'Declare the queue at start (sr3). off: on a locked-down broker where the administrator made it.',
    helpFr: 'Déclarer la file au démarrage (sr3). off : sur un broker verrouillé où l\'administrateur l\'a créée.' },
  { name: 'queueBind', kind: 'flag', default: true, components: ['subscribe'], aliases: ['bind_queue'],
    help: 'Bind the queue to its exchange and topics at start (sr3). off: the administrator bound it.',
    helpFr: 'Lier la file à son exchange et à ses topics au démarrage (sr3). off : l\'administrateur l\'a liée.' },
  { name: 'exchangeDeclare', kind: 'flag', default: true, aliases: ['declare_exchange'],
    help: 'Declare the exchange this config announces on (post_exchange) at start (sr3). A subscribe never declares the exchange it reads from: whoever posts to it does (its poll, or sr declare).',
    helpFr: 'Déclarer au démarrage l\'exchange où cette config annonce (post_exchange) (sr3). Un subscribe ne déclare jamais l\'exchange qu\'il lit : c\'est à qui y publie de le faire (son poll, ou sr declare).' },
  { name: 'expire', kind: 'duration', default: 0, components: ['subscribe'], aliases: ['expiry'],
    help: 'The broker deletes the queue after it has had no consumer this long; 0 keeps it forever.',
    helpFr: 'Le broker supprime la file restée aussi longtemps sans consommateur ; 0 la garde pour toujours.' },
  { name: 'messageAgeMax', kind: 'duration', default: 0, components: ['subscribe'],
    help: 'Notifications older than this are dropped by the broker; 0 keeps them however old.',
    helpFr: 'Le broker jette les notifications plus vieilles que cela ; 0 les garde quel que soit leur âge.' },
  { name: 'deadLetterMax', kind: 'count', default: 10000, components: ['subscribe'],
    help: 'Notifications that cannot be taken (malformed, not mail) are kept in the queue\'s dead letters, at most this many, the oldest dropped first; 0 keeps all. sr status counts them (deadLetters).',
    helpFr: 'Les notifications impossibles à prendre (malformées, pas du courrier) sont gardées dans les lettres mortes de la file, au plus ce nombre, les plus anciennes jetées d\'abord ; 0 les garde toutes. sr status les compte (deadLetters).' },
  { name: 'deadLetterAge', kind: 'duration', default: 30 * 24 * 3600, components: ['subscribe'],
    help: 'Dead letters older than this are dropped; 0 keeps them however old.',
    helpFr: 'Les lettres mortes plus vieilles que cela sont jetées ; 0 les garde quel que soit leur âge.' },
  { name: 'prefetch', kind: 'count', default: 25, min: 1, components: ['subscribe'],
    help: 'Notifications a consumer may hold unacknowledged.',
    helpFr: 'Notifications qu\'un consommateur peut tenir sans les acquitter.' },
  { name: 'post_broker', kind: 'url', schemes: BROKER_SCHEMES,
    help: 'Broker to announce on: local: (embedded, the default for a poll) or amqp[s]://user@host[:port]/[vhost]. In a poll, "broker" means post_broker as in sr3.',
    helpFr: 'Broker où annoncer : local: (embarqué, par défaut pour un poll) ou amqp[s]://utilisateur@hôte[:port]/[vhost]. Dans un poll, « broker » veut dire post_broker, comme dans sr3.' },
  { name: 'post_exchange', kind: 'str',
    help: 'Exchange to announce on; default xs_<post_broker user>, or xs_<post_broker user>_<post_exchangeSuffix>.',
    helpFr: 'Exchange où annoncer ; par défaut xs_<utilisateur du post_broker>, ou xs_<utilisateur du post_broker>_<post_exchangeSuffix>.' },
  { name: 'post_exchangeSuffix', kind: 'str', aliases: ['post_exchange_suffix'],
    help: 'Without a post_exchange line: announce on xs_<post_broker user>_<post_exchangeSuffix> (sr3).',
    helpFr: 'Sans ligne post_exchange : annoncer sur xs_<utilisateur du post_broker>_<post_exchangeSuffix> (sr3).' },
  { name: 'post_topicPrefix', kind: 'str', aliases: ['post_topic_prefix'],
    help: 'Topic prefix of announcements; default the topicPrefix.',
    helpFr: 'Préfixe de topic des annonces ; par défaut le topicPrefix.' },
  { name: 'post_baseUrl', kind: 'str', aliases: ['post_base_url', 'post_baseurl'],
    help: 'baseUrl of the files a subscribe announces downstream; default file: followed by post_baseDir (file:/srv/mail/ for post_baseDir /srv/mail), so that sr3 finds them, or file: before the absolute path without post_baseDir.',
    helpFr: 'baseUrl des fichiers qu\'un subscribe annonce en aval ; par défaut file: suivi de post_baseDir (file:/srv/mail/ pour post_baseDir /srv/mail), pour que sr3 les trouve, ou file: devant le chemin absolu sans post_baseDir.' },
  { name: 'post_mandatory', kind: 'flag', default: true, components: ['poll'],
    help: 'An announcement must reach a queue: one that no queue takes (no subscribe bound yet, its queue cleaned up) is held, the poll\'s place stays before it and it is tried again every 10 s (AMQP mandatory). off: for a poll that feeds nobody on purpose.',
    helpFr: 'Une annonce doit atteindre une file : celle qu\'aucune file ne prend (aucun subscribe encore lié, sa file nettoyée) est retenue, la place du poll reste avant elle et elle est retentée toutes les 10 s (AMQP mandatory). off : pour un poll qui n\'alimente personne, exprès.' },
  { name: 'post_baseDir', kind: 'str', aliases: ['post_base_dir', 'post_basedir'],
    help: 'Local root removed from file paths when announcing them; without it the relPath is the absolute path.',
    helpFr: 'Racine locale retirée des chemins des fichiers annoncés ; sans elle, le relPath est le chemin absolu.' },

  // What to take
  { name: 'accept', kind: 'mask',
    help: 'Regex on the notification URL: take what matches, placed with the directory written above this line. Rules are tried in file order.',
    helpFr: 'Regex sur l\'URL de la notification : prendre ce qui correspond, placé avec le directory écrit au-dessus de cette ligne. Les règles sont essayées dans l\'ordre du fichier.' },
  { name: 'reject', kind: 'mask',
    help: 'Regex on the notification URL: drop what matches. Rules are tried in file order.',
    helpFr: 'Regex sur l\'URL de la notification : écarter ce qui correspond. Les règles sont essayées dans l\'ordre du fichier.' },
  { name: 'logReject', kind: 'flag', default: false, aliases: ['log_reject'],
    help: 'Log each notification the accept/reject rules drop, with the rule that dropped it (sr3): adds reject to logEvents.',
    helpFr: 'Journaliser chaque notification écartée par les règles accept/reject, avec la règle qui l\'a écartée (sr3) : ajoute reject à logEvents.' },
  { name: 'logEvents', kind: 'set', choices: LOG_EVENT_CHOICES, default: ['after_accept', 'after_post', 'after_work', 'on_housekeeping'],
    help: 'What is logged at info, as sr3: after_accept (each notification or message taken), after_work (each message written), after_post (each notification posted), on_housekeeping (the counters), reject (what accept/reject drop), nodupe (what was done before). sr3\'s other entry point names are accepted and log nothing more.',
    helpFr: 'Ce qui est journalisé au niveau info, comme sr3 : after_accept (chaque notification ou message pris), after_work (chaque message écrit), after_post (chaque notification publiée), on_housekeeping (les compteurs), reject (ce qu\'accept/reject écartent), nodupe (ce qui était déjà fait). Les autres points d\'entrée de sr3 sont acceptés et n\'ajoutent rien.' },
  { name: 'acceptUnmatched', kind: 'flag', default: true, aliases: ['accept_unmatch', 'accept_unmatched'],
    help: 'Take notifications that no accept or reject rule matched.',
    helpFr: 'Prendre les notifications qu\'aucune règle accept ou reject n\'a reconnues.' },
  { name: 'download', kind: 'flag', default: true, components: ['subscribe'],
    help: 'off: a relay (sr3): each notification taken is announced again on post_broker, nothing downloaded, written or done on the mail server. sr3\'s no_download and notify_only mean download off.',
    helpFr: 'off : un relais (sr3) : chaque notification prise est annoncée à nouveau sur post_broker, rien n\'est téléchargé, écrit ni fait sur le serveur de messagerie. no_download et notify_only de sr3 veulent dire download off.' },
  { name: 'directory', kind: 'str', template: true, components: ['subscribe'],
    help: 'Where files are written; ${%Y%m%d}-style dates and message fields are filled in per message.',
    helpFr: 'Où les fichiers sont écrits ; les dates à la ${%Y%m%d} et les champs du message sont remplis message par message.' },
  { name: 'mirror', kind: 'flag', default: false, components: ['subscribe'],
    help: 'on: files go under directory in the folders of the notification\'s relPath (INBOX/Invoices/), after strip, as sr3 mirrors a tree. Each accept line keeps the value written above it.',
    helpFr: 'on : les fichiers vont sous directory dans les dossiers du relPath de la notification (INBOX/Invoices/), après strip, comme sr3 reproduit une arborescence. Chaque ligne accept garde la valeur écrite au-dessus.' },
  { name: 'strip', kind: 'str', default: '0', components: ['subscribe'],
    help: 'A count: leading relPath levels left out of mirror and flatten; any other text: a regex whose first match is removed from the relPath (sr3). Each accept line keeps the value written above it.',
    helpFr: 'Un nombre : niveaux de tête du relPath laissés hors de mirror et flatten ; tout autre texte : une regex dont la première correspondance est retirée du relPath (sr3). Chaque ligne accept garde la valeur écrite au-dessus.' },
  { name: 'flatten', kind: 'str', default: '/', components: ['subscribe'],
    help: 'Not /: each file name starts with the relPath\'s folders (after strip) joined by this text, INBOX-Invoices-invoice.pdf with flatten - (sr3). Each accept line keeps the value written above it.',
    helpFr: 'Autre que / : chaque nom de fichier commence par les dossiers du relPath (après strip) joints par ce texte, INBOX-Invoices-invoice.pdf avec flatten - (sr3). Chaque ligne accept garde la valeur écrite au-dessus.' },

  // What a subscribe writes (docs/filters.md for the file rules)
  { name: 'attachmentsOnly', kind: 'flag', default: true, components: ['subscribe'],
    help: 'Write only attachments; off also writes each text and HTML body as a file (body.txt, body.html).',
    helpFr: 'N\'écrire que les pièces jointes ; off écrit aussi chaque corps texte et HTML comme fichier (body.txt, body.html).' },
  { name: 'fileSync', kind: 'enum', choices: ['auto', 'fsync', 'syncfs'], default: 'auto', components: ['subscribe'],
    help: 'How written files are made durable, per batch of messages: syncfs (one syncfs of the output file system per batch, by a helper process: perl, or sync --file-system where there is no perl; it flushes other writers\' data on that file system too), fsync (one per file and directory, many at once), or auto (syncfs where it works there, else fsync).',
    helpFr: 'Comment les fichiers écrits sont rendus durables, par lot de messages : syncfs (un syncfs du système de fichiers de sortie par lot, par un processus auxiliaire : perl, ou sync --file-system là où perl manque ; il vide aussi les données des autres programmes sur ce système de fichiers), fsync (un par fichier et par répertoire, beaucoup à la fois) ou auto (syncfs là où il fonctionne, sinon fsync).' },
  { name: 'inline', kind: 'enum', choices: ['keep', 'skip'], default: 'keep', components: ['subscribe'],
    help: 'Parts shown inside the message (images of an HTML mail, Content-Disposition inline): keep writes them as attachments, skip leaves them out.',
    helpFr: 'Parties affichées dans le message (images d\'un courrier HTML, Content-Disposition inline) : keep les écrit comme pièces jointes, skip les laisse de côté.' },
  { name: 'decodeBudget', kind: 'duration', default: 120, components: ['subscribe'],
    help: 'How long a decode thread may be blocked by a message (and, ten times over plus 1 s per MB, hold it); a message over it is quarantined at once and its thread replaced, the other messages of that thread decoded again.',
    helpFr: 'Combien de temps un message peut bloquer un fil de décodage (et, dix fois plus plus 1 s par Mo, l\'occuper) ; un message qui le dépasse est mis en quarantaine aussitôt et son fil remplacé, les autres messages de ce fil décodés à nouveau.' },
  { name: 'decodeDepth', kind: 'count', default: 3, components: ['subscribe'],
    help: 'Attached messages (message/rfc822) are opened this many levels deep; deeper ones are written whole as .eml files.',
    helpFr: 'Les messages joints (message/rfc822) sont ouverts jusqu\'à cette profondeur ; plus profonds, ils sont écrits entiers en fichiers .eml.' },
  { name: 'acceptFile', kind: 'fileRule', components: ['subscribe'],
    help: 'Regex, plain or /between slashes/ with flags i, m, s, u, on the whole decoded file name: keep the files it matches. Tried in order with rejectFile.',
    helpFr: 'Regex, simple ou /entre barres obliques/ avec les drapeaux i, m, s, u, sur le nom entier du fichier décodé : garder les fichiers qu\'elle reconnaît. Essayée dans l\'ordre avec rejectFile.' },
  { name: 'rejectFile', kind: 'fileRule', components: ['subscribe'],
    help: 'Regex on the whole decoded file name: leave out the files it matches. Tried in order with acceptFile.',
    helpFr: 'Regex sur le nom entier du fichier décodé : laisser de côté les fichiers qu\'elle reconnaît. Essayée dans l\'ordre avec acceptFile.' },
  { name: 'acceptUnmatchedFile', kind: 'flag', default: true, components: ['subscribe'],
    help: 'Keep the decoded files that no acceptFile or rejectFile rule matched.',
    helpFr: 'Garder les fichiers décodés qu\'aucune règle acceptFile ou rejectFile n\'a reconnus.' },
  { name: 'sidecar', kind: 'flag', default: false, components: ['subscribe'],
    help: 'Beside each file, write .<file>.json (a dot name no attachment takes) with where it came from: account, folder, UIDVALIDITY, UID or UIDL, Message-ID, subject, from, date, MIME part, type, size, sha256.',
    helpFr: 'À côté de chaque fichier, écrire .<fichier>.json (un nom en point qu\'aucune pièce jointe ne prend) qui dit d\'où il vient : compte, dossier, UIDVALIDITY, UID ou UIDL, Message-ID, sujet, expéditeur, date, partie MIME, type, taille, sha256.' },
  { name: 'envelopes', kind: 'set', choices: ['acte_nature', 'helios', 'chorus_fact', 'adullact'], default: [], components: ['subscribe'],
    help: 'Take apart the Adullact envelopes among a message\'s files (docs/adullact.md): acte_nature (ACTES archives and messages), helios (PES V2 files and their embedded documents), chorus_fact (Chorus Pro pivot, UBL, CII, Factur-X), or adullact for all three. Each document becomes a file, in ${KIND}\'s directory, its sidecar and notification saying its envelope; a malformed envelope goes to quarantineDirectory/envelopes with its reason. Off by default.',
    helpFr: 'Défaire les enveloppes Adullact parmi les fichiers d\'un message (docs/fr/adullact.md) : acte_nature (archives et messages ACTES), helios (fichiers PES V2 et leurs pièces jointes), chorus_fact (pivot Chorus Pro, UBL, CII, Factur-X), ou adullact pour les trois. Chaque document devient un fichier, dans le répertoire de ${KIND}, son fichier compagnon et sa notification disant son enveloppe ; une enveloppe abîmée va dans quarantineDirectory/envelopes avec sa raison. Désactivé par défaut.' },
  { name: 'envelopeSource', kind: 'flag', default: true, components: ['subscribe'],
    help: 'With envelopes: also write the archive an envelope came in (a .tar.gz, a .zip), role source, beside its documents.',
    helpFr: 'Avec envelopes : écrire aussi l\'archive dans laquelle une enveloppe est arrivée (un .tar.gz, un .zip), rôle source, à côté de ses documents.' },
  { name: 'saveRaw', kind: 'flag', default: false, components: ['subscribe'],
    help: 'Also keep each message as it came, as .<UID or UIDL>.eml under rawDirectory (a local backup).',
    helpFr: 'Garder aussi chaque message tel qu\'il est arrivé, en .<UID ou UIDL>.eml sous rawDirectory (une sauvegarde locale).' },
  { name: 'rawDirectory', kind: 'str', template: true, components: ['subscribe'],
    help: 'Where saveRaw keeps messages; templates as for directory. Default: the directory.',
    helpFr: 'Où saveRaw garde les messages ; modèles comme pour directory. Par défaut : le directory.' },
  { name: 'maxMessageSize', kind: 'size', default: 0, components: ['subscribe'],
    help: 'A message larger than this is not downloaded but quarantined; 0 takes any size.',
    helpFr: 'Un message plus gros que cela n\'est pas téléchargé mais mis en quarantaine ; 0 prend toutes les tailles.' },

  // What a subscribe does on the mail server, and with failures
  { name: 'mailAction', kind: 'str', default: 'none', components: ['subscribe'],
    help: 'Once the files and their notifications are safe: none, seen, flag <keyword>, move <folder> (created when missing) or delete. POP3 knows none and delete.',
    helpFr: 'Une fois les fichiers et leurs notifications en sûreté : none, seen, flag <mot-clé>, move <dossier> (créé s\'il manque) ou delete. POP3 ne connaît que none et delete.' },
  { name: 'fileAction', kind: 'str', default: 'leave', components: ['subscribe'],
    help: 'What becomes of an item of a watched directory (pollUrl file:) once its files and their notifications are safe: leave, move <directory> (absolute, or inside the watched one; created when missing; on the same file system) or delete.',
    helpFr: 'Ce que devient un élément d\'un répertoire surveillé (pollUrl file:) une fois ses fichiers et leurs notifications en sûreté : leave (le laisser), move <répertoire> (absolu, ou dans celui surveillé ; créé s\'il manque ; sur le même système de fichiers) ou delete.' },
  { name: 'delete', kind: 'flag', default: false, components: ['subscribe'],
    help: 'sr3 spelling of mailAction delete: delete each message from the server once its files are safe.',
    helpFr: 'Orthographe sr3 de mailAction delete : supprimer chaque message du serveur une fois ses fichiers en sûreté.' },
  { name: 'attempts', kind: 'count', default: 3, min: 1, components: ['subscribe'], aliases: ['at'],
    help: 'A message failing this many times for a reason retrying cannot cure (undecodable, too large, not the announced message) is quarantined.',
    helpFr: 'Un message qui échoue autant de fois pour une raison que réessayer ne guérit pas (indécodable, trop gros, pas le message annoncé) est mis en quarantaine.' },
  { name: 'retry_ttl', kind: 'duration', default: 0, components: ['subscribe'], aliases: ['retry_expire'],
    help: 'A message still failing for a passing reason (server or broker down) is retried, with growing pauses, for this long; 0 retries forever. It stays on the mail server either way.',
    helpFr: 'Un message qui échoue encore pour une raison passagère (serveur ou broker arrêté) est réessayé, à intervalles croissants, pendant ce temps ; 0 réessaie toujours. Il reste sur le serveur de messagerie dans tous les cas.' },
  { name: 'nodupe_ttl', kind: 'duration', default: { subscribe: 30 * 86400, poll: 0 }, components: ['subscribe', 'poll'], aliases: ['suppress_duplicates', 'no_duplicates', 'caching'],
    help: 'Subscribe: how long a message done is remembered by its server identity and Message-ID, so that a redelivered or re-announced one writes nothing again. Poll (off by default, the cursor never announces a message twice): a message with the Message-ID and size of one announced from the account within this time, in any folder, is passed over, and so never tidied by mailAction.',
    helpFr: 'Subscribe : combien de temps un message traité est retenu par son identité sur le serveur et son Message-ID, pour qu\'un message relivré ou réannoncé n\'écrive plus rien. Poll (off par défaut, le curseur n\'annonce jamais deux fois un message) : un message qui a le Message-ID et la taille d\'un message annoncé du compte pendant ce temps, dans n\'importe quel dossier, est passé, et donc jamais rangé par mailAction.' },
  { name: 'quarantineAgeMax', kind: 'duration', default: 90 * 86400, components: ['subscribe'],
    help: 'Quarantined messages older than this are removed from quarantineDirectory (the mail stays on its server, flagged $Quarantined or in quarantineFolder); 0 keeps them.',
    helpFr: 'Les messages en quarantaine plus vieux que cela sont retirés de quarantineDirectory (le courrier reste sur son serveur, marqué $Quarantined ou dans quarantineFolder) ; 0 les garde.' },
  { name: 'quarantineSizeMax', kind: 'size', default: 1024 ** 3, components: ['subscribe'],
    help: 'The quarantine keeps at most this many bytes: the oldest go first, as for quarantineAgeMax; 0: no bound.',
    helpFr: 'La quarantaine garde au plus ce nombre d\'octets : les plus anciens partent d\'abord, comme pour quarantineAgeMax ; 0 : pas de limite.' },
  { name: 'quarantineDirectory', kind: 'str', components: ['subscribe'],
    help: 'Where quarantined messages go, each as .eml with a .reason.txt; default quarantine/ in the config\'s state directory.',
    helpFr: 'Où vont les messages mis en quarantaine, chacun en .eml avec un .reason.txt ; par défaut quarantine/ dans le répertoire d\'état de la config.' },
  { name: 'quarantineFolder', kind: 'str', components: ['subscribe'],
    help: 'IMAP folder (created when missing) a quarantined message is moved to; without it the message gets the $Quarantined keyword and stays.',
    helpFr: 'Dossier IMAP (créé s\'il manque) où un message mis en quarantaine est déplacé ; sans lui, le message reçoit le mot-clé $Quarantined et reste où il est.' },

  // Where mail comes from
  { name: 'pollUrl', kind: 'urlList', schemes: POLL_SCHEMES, components: ['poll'], aliases: ['destination'],
    help: 'Mailbox to watch, imap[s]://user@host[:port]/ or pop[s]://user@host[:port]/, or a local directory, file:/srv/depot/ (its files, and Pastell deposit directories once their fichier_termine.txt is there); may be given several times. The password comes from credentials.conf.',
    helpFr: 'Boîte aux lettres à surveiller, imap[s]://utilisateur@hôte[:port]/ ou pop[s]://utilisateur@hôte[:port]/, ou un répertoire local, file:/srv/depot/ (ses fichiers, et les répertoires de dépôt Pastell une fois leur fichier_termine.txt présent) ; peut être donnée plusieurs fois. Le mot de passe vient de credentials.conf.' },
  { name: 'fileAgeMin', kind: 'duration', default: 0, components: ['poll'],
    help: 'pollUrl file: a file modified more recently than this (and never less than 2 s) is left for a later pass: one still being copied in keeps changing.',
    helpFr: 'pollUrl file: : un fichier modifié plus récemment que cela (et jamais moins de 2 s) est laissé pour un passage suivant : un fichier en cours de copie change encore.' },
  { name: 'vip', kind: 'list', components: ['poll'],
    help: 'A poll on several hosts: only the host holding one of these addresses polls (sr3), or with vip broker the one holding a lease on the post broker (amqp only; the lease moves within a heartbeat when its host dies). The broker keeps the cursor (a stream of the announcements and snapshots), so the host taking over starts after the last message announced.',
    helpFr: 'Un poll sur plusieurs hôtes : seul l\'hôte qui porte une de ces adresses interroge (sr3), ou avec vip broker celui qui tient un bail sur le post broker (amqp seulement ; le bail change d\'hôte en un battement quand le sien meurt). Le broker garde le curseur (un flux des annonces et des instantanés), donc l\'hôte qui prend la relève commence après le dernier message annoncé.' },
  { name: 'folder', kind: 'list', components: ['poll'],
    help: 'IMAP folder to watch; may be given several times; special-use names such as \\Inbox or \\Junk work. Default INBOX.',
    helpFr: 'Dossier IMAP à surveiller ; peut être donné plusieurs fois ; les noms d\'usage spécial comme \\Inbox ou \\Junk fonctionnent. Par défaut INBOX.' },
  { name: 'firstPass', kind: 'str', default: 'all', components: ['poll'],
    help: 'What the first pass over a mailbox takes of the mail already there: all, unseen (IMAP: the unread ones), new (none: only mail arriving from now on) or since YYYY-MM-DD (IMAP: arrived since that day, UTC). Mail arriving later, and folders created later, are always taken. Try it first with sr foreground --dry_run.',
    helpFr: 'Ce que le premier passage sur une boîte prend du courrier déjà là : all (tout), unseen (IMAP : les non lus), new (rien : seulement le courrier qui arrive à partir de maintenant) ou since AAAA-MM-JJ (IMAP : arrivé depuis ce jour, UTC). Le courrier arrivé plus tard, et les dossiers créés plus tard, sont toujours pris. Essayez d\'abord avec sr foreground --dry_run.' },
  { name: 'folderRecursive', kind: 'flag', default: false, components: ['poll'],
    help: 'Also watch every subfolder of each folder, at any depth.',
    helpFr: 'Surveiller aussi chaque sous-dossier de chaque dossier, à toute profondeur.' },
  { name: 'mailSearch', kind: 'str', components: ['poll'],
    help: 'IMAP SEARCH keys that mail must match to be announced, e.g. UNSEEN SINCE 1-Nov-2026 FROM billing@example.org; checked by the server.',
    helpFr: 'Clés IMAP SEARCH auxquelles le courrier doit répondre pour être annoncé, par exemple UNSEEN SINCE 1-Nov-2026 FROM billing@example.org ; vérifiées par le serveur.' },
  { name: 'idle', kind: 'flag', default: false, components: ['poll'],
    help: 'IMAP IDLE on each watched folder: new mail is announced as it arrives; the scheduled passes go on as a catch-up.',
    helpFr: 'IMAP IDLE sur chaque dossier surveillé : le nouveau courrier est annoncé dès qu\'il arrive ; les passages programmés continuent, en rattrapage.' },
  { name: 'imapCompress', kind: 'flag', default: false, components: ['poll', 'subscribe'],
    help: 'Ask IMAP servers that offer it (Cyrus) for COMPRESS=DEFLATE. Off by default: on a LAN it made fetches several times slower; turn it on for slow links.',
    helpFr: 'Demander COMPRESS=DEFLATE aux serveurs IMAP qui l\'offrent (Cyrus). Off par défaut : sur un réseau local, les téléchargements étaient plusieurs fois plus lents ; à activer sur les liaisons lentes.' },
  { name: 'batch', kind: 'count', default: 100, min: 1, components: ['poll'],
    help: 'At most this many messages announced per mailbox per pass, so a first pass over a large mailbox goes in bounded steps; while messages are left, the next pass follows at once, not at the next scheduled time.',
    helpFr: 'Au plus ce nombre de messages annoncés par boîte et par passage, pour qu\'un premier passage sur une grosse boîte avance par étapes bornées ; tant qu\'il en reste, le passage suivant vient aussitôt, pas à l\'heure prévue.' },
  { name: 'sleep', kind: 'duration', default: 300, components: ['poll'], aliases: ['scheduled_interval'],
    help: 'Time between passes over the mailboxes; the first pass runs at start. scheduled_* and schedule replace it.',
    helpFr: 'Temps entre deux passages sur les boîtes ; le premier passage a lieu au démarrage. scheduled_* et schedule le remplacent.' },
  { name: 'scheduled_hour', kind: 'list', components: ['poll'],
    help: 'Hours (UTC, comma-separated or repeated) at which to poll, combined with scheduled_minute.',
    helpFr: 'Heures (UTC, séparées par des virgules ou répétées) où interroger, combinées avec scheduled_minute.' },
  { name: 'scheduled_minute', kind: 'list', components: ['poll'],
    help: 'Minutes past the hour at which to poll (with scheduled_hour; default every hour).',
    helpFr: 'Minutes après l\'heure où interroger (avec scheduled_hour ; par défaut chaque heure).' },
  { name: 'scheduled_time', kind: 'list', components: ['poll'],
    help: 'Times of day HH:MM (UTC) at which to poll; may be given several times.',
    helpFr: 'Heures du jour HH:MM (UTC) où interroger ; peut être donné plusieurs fois.' },
  { name: 'schedule', kind: 'str', components: ['poll'],
    help: 'A cron expression with seconds and an optional year: "*/15 * * * * *" polls every 15 seconds.',
    helpFr: 'Une expression cron avec secondes et une année facultative : "*/15 * * * * *" interroge toutes les 15 secondes.' },
  { name: 'tls', kind: 'flag', default: true, components: ['poll', 'subscribe'],
    help: 'On imap:// and pop:// URLs, upgrade with STARTTLS/STLS and refuse a server that will not; off sends passwords in clear.',
    helpFr: 'Sur les URL imap:// et pop://, passer en TLS par STARTTLS/STLS et refuser un serveur qui ne le veut pas ; off envoie les mots de passe en clair.' },
  { name: 'tlsCa', kind: 'str', components: ['poll', 'subscribe'],
    help: 'A PEM file of certificate authorities to trust for the mail server, for a private CA.',
    helpFr: 'Un fichier PEM d\'autorités de certification à croire pour le serveur de messagerie, pour une AC privée.' },
  { name: 'tlsVerify', kind: 'flag', default: true, components: ['poll', 'subscribe'],
    help: 'Verify the mail server certificate and host name; off is insecure, warned about at start and shown in sr status.',
    helpFr: 'Vérifier le certificat et le nom d\'hôte du serveur de messagerie ; off n\'est pas sûr, c\'est dit au démarrage et montré par sr status.' },
  { name: 'tlsRigour', kind: 'enum', choices: ['lax', 'medium', 'strict'], default: 'medium', components: ['poll', 'subscribe'], aliases: ['tls_rigour'],
    help: 'sr3\'s TLS strictness for mail servers: lax does not verify certificates (as tlsVerify off), medium verifies them unless tlsVerify off says otherwise, strict always verifies them (tlsVerify off is refused) and asks TLS 1.2 at least.',
    helpFr: 'La rigueur TLS de sr3 envers les serveurs de messagerie : lax ne vérifie pas les certificats (comme tlsVerify off), medium les vérifie sauf si tlsVerify off dit le contraire, strict les vérifie toujours (tlsVerify off est refusé) et demande au moins TLS 1.2.' },
  { name: 'timeout', kind: 'duration', default: 60, components: ['poll', 'subscribe'],
    help: 'A mail server that does not answer for this long is given up on and reconnected.',
    helpFr: 'Un serveur de messagerie qui ne répond pas pendant ce temps est abandonné et reconnecté.' },
  { name: 'callback', kind: 'list', aliases: ['cb', 'flowcb', 'flow_callback', 'flowCallback'],
    help: 'sr3 callback names: poll.mail selects the mail poll, download.mail_ingest the mail download.',
    helpFr: 'Noms de callbacks sr3 : poll.mail choisit le poll de courrier, download.mail_ingest le téléchargement du courrier.' },

  // Processes
  { name: 'messageCountMax', kind: 'count', default: 0,
    help: 'Stop the instance once it has handled this many notifications (a subscribe) or announced this many (a poll), finishing what it holds (sr3); 0: never.',
    helpFr: 'Arrêter l\'instance après avoir traité ce nombre de notifications (un subscribe) ou annoncé ce nombre de messages (un poll), en finissant ce qu\'elle tient (sr3) ; 0 : jamais.' },
  { name: 'instances', kind: 'count', default: 1, min: 1, aliases: ['instance'],
    help: 'Processes to run for this config; a poll always runs one.',
    helpFr: 'Processus à lancer pour cette config ; un poll en lance toujours un.' },
  { name: 'housekeeping', kind: 'duration', default: 300, aliases: ['heartbeat'],
    help: 'Interval of periodic clean-up and of the housekeeping log line.',
    helpFr: 'Intervalle du nettoyage périodique et de la ligne de journal housekeeping.' },
  { name: 'metricsDirectory', kind: 'str',
    help: 'Write Prometheus metrics there for node_exporter\'s textfile collector: each instance its mailpump_<component>_<config>_<NN>.prom, every metrics_writeInterval, removed when it stops (docs/metrics.md). Off when absent.',
    helpFr: 'Écrire là les métriques Prometheus pour le collecteur textfile de node_exporter : chaque instance son mailpump_<composant>_<config>_<NN>.prom, tous les metrics_writeInterval, retiré à son arrêt (docs/fr/metrics.md). Inactif en son absence.' },
  { name: 'metrics_writeInterval', kind: 'duration', default: 5,
    help: 'Interval at which each instance writes its heartbeat and counters (read by sr status and sr sanity).',
    helpFr: 'Intervalle auquel chaque instance écrit son battement de cœur et ses compteurs (lus par sr status et sr sanity).' },
  { name: 'runStateThreshold_hung', kind: 'duration', default: 450, aliases: ['sanity_log_dead'],
    help: 'An instance whose heartbeat is older than this is hung: sr status says so and sr sanity restarts it.',
    helpFr: 'Une instance dont le battement de cœur est plus vieux que cela est bloquée (hung) : sr status le dit et sr sanity la redémarre.' },
  { name: 'stop_timeout', kind: 'duration', default: 30,
    help: 'How long sr stop waits after SIGTERM for an instance to finish the message in hand before SIGKILL.',
    helpFr: 'Combien de temps sr stop attend après SIGTERM qu\'une instance finisse le message en main avant SIGKILL.' },

  // Logging (sr3.md 2.4)
  { name: 'logLevel', kind: 'enum', choices: LOG_LEVELS, default: 'info', aliases: ['loglevel', 'll'],
    help: 'Least severe log lines written: debug, info, warning, error or critical.',
    helpFr: 'Lignes de journal les moins graves écrites : debug, info, warning, error ou critical.' },
  { name: 'logRotateCount', kind: 'count', default: 5, aliases: ['logdays', 'log_rotate', 'logRotate'],
    help: 'Rotated log files kept besides the current one.',
    helpFr: 'Fichiers de journal tournés gardés en plus du fichier courant.' },
  { name: 'logRotateInterval', kind: 'duration', default: 86400, aliases: ['logRotate_interval'],
    help: 'Log rotation period: 1d or more rotates daily at midnight, less rotates every that many minutes or hours.',
    helpFr: 'Période de rotation des journaux : 1d ou plus tourne chaque jour à minuit, moins tourne toutes les tant de minutes ou d\'heures.' },
];

const BY_NAME = new Map<string, OptionSpec>();
for (const spec of OPTIONS) {
  BY_NAME.set(spec.name, spec);
  for (const alias of spec.aliases ?? []) BY_NAME.set(alias, spec);
}

/**
 * Words that mean another option in one component only (sr3.md 3.5): in a poll, sr3
 * renames `broker` to `post_broker` because a poll only announces.
 */
const COMPONENT_ALIASES: { readonly [C in Component]?: Readonly<Record<string, string>> } = {
  poll: { broker: 'post_broker', b: 'post_broker' },
};

/** sr3 words that set a flag off when they are on (sr3's convert_to_v3: `no_download` is `download False`). */
const NEGATED: ReadonlyMap<string, string> = new Map([['no_download', 'download'], ['notify_only', 'download']]);

/** The flag an sr3 negated word sets off, if it is one. */
export function negatedOption(word: string): string | undefined {
  return NEGATED.get(word);
}

export function findOption(word: string, component: Component): OptionSpec | undefined {
  const renamed = COMPONENT_ALIASES[component]?.[word];
  return BY_NAME.get(renamed ?? word);
}

export function appliesTo(spec: OptionSpec, component: Component): boolean {
  return spec.components === undefined || spec.components.includes(component);
}

export function defaultValue(spec: OptionSpec, component: Component): OptionValue {
  const value = spec.default;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return (value as { readonly [C in Component]?: OptionValue })[component];
  }
  return value as OptionValue;
}

/** The table default of an option, for when no config can be read (a config broken while it runs). */
export function tableDefault(name: string, component: Component): OptionValue {
  const spec = BY_NAME.get(name);
  if (!spec) throw new Error(`no option "${name}" in the option table`);
  return defaultValue(spec, component);
}

/** Every word the parser knows, for "did you mean" suggestions. */
export function knownWords(): string[] {
  return [...BY_NAME.keys(), ...NEGATED.keys(), 'include', 'config', 'declare', 'header'];
}
