/* Signed checkpoints of the audit chain: the Ed25519 key (OpenSSL EVP), the line format, signing,
 * appending and reading back (format and guarantees: include/dashclaim/store.h).
 *
 * The key file is the secret that makes a checkpoint worth anything, so it is created with mode
 * 0600 with O_EXCL (never over a file that appeared meanwhile) and refused when group or others
 * have any permission on it or another user owns it: a key others can read signs their forgeries
 * as well. The checkpoint file is public (it holds hashes and signatures only); each line goes out
 * in one write() with O_APPEND and is fsynced before the command reports success, so a line that
 * was reported is on disk and two checkpoints never interleave. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "audit_internal.h"
#include "dashclaim/hash.h"

#define LINE_MAGIC "dashclaim-audit-checkpoint/1"
#define SIG_LEN 64

struct dc_audit_key {
    EVP_PKEY *pkey;
    bool has_private;
    char id[17];
};

static dc_audit_key *wrap(EVP_PKEY *pk, bool has_private, dc_status *st) {
    dc_audit_key *k = calloc(1, sizeof *k);
    uint8_t raw[32];
    size_t len = sizeof raw;
    if (!k || EVP_PKEY_get_raw_public_key(pk, raw, &len) != 1 || len != sizeof raw) {
        free(k);
        EVP_PKEY_free(pk);
        dc_fail(st, DC_ERR_RESOURCE, "audit key: out of memory");
        return NULL;
    }
    k->pkey = pk;
    k->has_private = has_private;
    char hex[65];
    dc_sha256_hex(raw, sizeof raw, hex);
    memcpy(k->id, hex, 16);
    k->id[16] = '\0';
    return k;
}

void dc_audit_key_free(dc_audit_key *k) {
    if (!k) return;
    EVP_PKEY_free(k->pkey);
    free(k);
}

const char *dc_audit_key_id(const dc_audit_key *k) { return k->id; }

char *dc_audit_key_public_pem(const dc_audit_key *k) {
    BIO *b = BIO_new(BIO_s_mem());
    char *out = NULL;
    if (b && PEM_write_bio_PUBKEY(b, k->pkey) == 1) {
        char *data;
        long n = BIO_get_mem_data(b, &data);
        if (n > 0 && (out = malloc((size_t)n + 1))) {
            memcpy(out, data, (size_t)n);
            out[n] = '\0';
        }
    }
    BIO_free(b);
    return out;
}

/* The whole of an open file (at most 64 KiB: a PEM key is a few hundred bytes). */
static char *read_fd(int fd, size_t *len) {
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) return NULL;
    for (;;) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            free(buf);
            return NULL;
        }
        if (r == 0 || (n += (size_t)r) == cap) break;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static dc_error_class mkdirs(const char *path, dc_status *st) {
    char dir[PATH_MAX];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
        return dc_fail(st, DC_ERR_INPUT, "audit key: path too long: %s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) return DC_OK;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return dc_fail(st, DC_ERR_RESOURCE, "audit key: cannot make %s: %s", dir,
                           strerror(errno));
        *p = '/';
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return dc_fail(st, DC_ERR_RESOURCE, "audit key: cannot make %s: %s", dir, strerror(errno));
    return DC_OK;
}

static void fsync_dir_of(const char *path) {
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir) dir[1] = '\0';
    else if (slash) *slash = '\0';
    else snprintf(dir, sizeof dir, ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* A new key written to path with O_EXCL. *exists = true (DC_OK, nothing written) when a file
 * appeared there meanwhile: the caller loads that one. */
static dc_error_class create_key(const char *path, bool *exists, dc_status *st) {
    *exists = false;
    dc_error_class rc = mkdirs(path, st);
    if (rc != DC_OK) return rc;
    EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    BIO *b = BIO_new(BIO_s_mem());
    char *pem = NULL;
    long n = 0;
    if (!pk || !b || PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL) != 1 ||
        (n = BIO_get_mem_data(b, &pem)) <= 0) {
        rc = dc_fail(st, DC_ERR_RESOURCE, "audit key: OpenSSL could not make an Ed25519 key");
        goto out;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) {
        *exists = true;
        goto out;
    }
    if (fd < 0) {
        rc = dc_fail(st, DC_ERR_RESOURCE, "audit key: cannot create %s: %s", path, strerror(errno));
        goto out;
    }
    bool ok = fchmod(fd, 0600) == 0;
    for (long done = 0; ok && done < n;) {
        ssize_t w = write(fd, pem + done, (size_t)(n - done));
        if (w < 0 && errno == EINTR) continue;
        ok = w > 0;
        if (ok) done += w;
    }
    ok = ok && fsync(fd) == 0;
    int err = errno;
    close(fd);
    if (!ok) {
        unlink(path);
        rc = dc_fail(st, DC_ERR_RESOURCE, "audit key: cannot write %s: %s", path, strerror(err));
        goto out;
    }
    fsync_dir_of(path);
out:
    if (pem && n > 0) OPENSSL_cleanse(pem, (size_t)n); /* the private key's only copy here */
    BIO_free(b);
    EVP_PKEY_free(pk);
    return rc;
}

dc_audit_key *dc_audit_key_load(const char *path, bool create, bool *created, dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    if (created) *created = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
        bool exists = false;
        if (create_key(path, &exists, st) != DC_OK) return NULL;
        if (created) *created = !exists;
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0) {
        dc_fail(st, errno == ENOENT ? DC_ERR_INPUT : DC_ERR_RESOURCE,
                "audit key: cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        dc_fail(st, DC_ERR_INPUT, "audit key: %s is not a regular file", path);
        return NULL;
    }
    if (sb.st_mode & 077) {
        close(fd);
        dc_fail(st, DC_ERR_INPUT,
                "audit key: %s has mode %04o: group or others may use it, so a checkpoint signed "
                "with it proves nothing (chmod 600 it, or make a new key if others read it)",
                path, (unsigned)(sb.st_mode & 07777));
        return NULL;
    }
    if (sb.st_uid != geteuid()) {
        close(fd);
        dc_fail(st, DC_ERR_INPUT, "audit key: %s belongs to another user (uid %u)", path,
                (unsigned)sb.st_uid);
        return NULL;
    }
    size_t len = 0;
    char *text = read_fd(fd, &len);
    close(fd);
    if (!text) {
        dc_fail(st, DC_ERR_RESOURCE, "audit key: cannot read %s", path);
        return NULL;
    }
    BIO *b = BIO_new_mem_buf(text, (int)len);
    EVP_PKEY *pk = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    OPENSSL_cleanse(text, len);
    free(text);
    if (!pk || !EVP_PKEY_is_a(pk, "ED25519")) {
        EVP_PKEY_free(pk);
        dc_fail(st, DC_ERR_INPUT, "audit key: %s is not an Ed25519 private key (PEM)", path);
        return NULL;
    }
    return wrap(pk, true, st);
}

dc_audit_key *dc_audit_key_load_public(const char *path, dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    FILE *f = fopen(path, "re");
    if (!f) {
        dc_fail(st, DC_ERR_INPUT, "audit key: cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    EVP_PKEY *pk = PEM_read_PUBKEY(f, NULL, NULL, NULL);
    fclose(f);
    if (!pk || !EVP_PKEY_is_a(pk, "ED25519")) {
        EVP_PKEY_free(pk);
        dc_fail(st, DC_ERR_INPUT, "audit key: %s is not an Ed25519 public key (PEM)", path);
        return NULL;
    }
    return wrap(pk, false, st);
}

/* ---- lines ------------------------------------------------------------------------------- */

/* The signed part of a line; its length, or -1 when it does not fit. */
static int signed_part(char *out, size_t size, const char *store, int64_t length, const char *head,
                       const char *at, const char *key_id) {
    int n = snprintf(out, size, LINE_MAGIC " store=%s length=%" PRId64 " head=%s at=%s key=%s",
                     store, length, head, at, key_id);
    return n > 0 && (size_t)n < size ? n : -1;
}

static dc_error_class sign_line(const dc_audit_key *key, const char *store, int64_t length,
                                const char *head, char line[DC_AUDIT_LINE_LEN], dc_status *st) {
    char at[32];
    store_iso_ms(store_now_ms(), at);
    int n = signed_part(line, DC_AUDIT_LINE_LEN, store, length, head, at, key->id);
    uint8_t sig[SIG_LEN];
    size_t sig_len = sizeof sig;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    bool ok = n > 0 && c && EVP_DigestSignInit(c, NULL, NULL, NULL, key->pkey) == 1 &&
              EVP_DigestSign(c, sig, &sig_len, (const uint8_t *)line, (size_t)n) == 1 &&
              sig_len == SIG_LEN;
    EVP_MD_CTX_free(c);
    if (!ok) return dc_fail(st, DC_ERR_RESOURCE, "audit checkpoint: OpenSSL could not sign");
    char hex[2 * SIG_LEN + 1];
    dc_hex_encode(sig, sizeof sig, hex);
    if (snprintf(line + n, DC_AUDIT_LINE_LEN - (size_t)n, " sig=%s", hex) >= DC_AUDIT_LINE_LEN - n)
        return dc_fail(st, DC_ERR_INTERNAL, "audit checkpoint: the line is too long");
    return DC_OK;
}

static int unhex(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Parses a line (without its newline) into cp and checks its signature. NULL when good, else
 * what is wrong with it. */
static const char *check_line(const char *text, const dc_audit_key *key, audit_checkpoint *cp) {
    char store[65], head[65], at[32], key_id[17], sig_hex[2 * SIG_LEN + 1];
    long long length = 0;
    int end = -1;
    if (sscanf(text,
               LINE_MAGIC " store=%64[0-9a-f] length=%lld head=%64[0-9a-f] at=%31[0-9TZ:.-]"
                          " key=%16[0-9a-f] sig=%128[0-9a-f]%n",
               store, &length, head, at, key_id, sig_hex, &end) != 6 ||
        end < 0 || text[end] != '\0' || strlen(store) != 64 || strlen(head) != 64 ||
        strlen(key_id) != 16 || strlen(sig_hex) != 2 * SIG_LEN || length < 1)
        return "not a checkpoint line (" LINE_MAGIC " store=... length=... head=... at=... "
               "key=... sig=...)";
    /* The signature covers the exact bytes before " sig=", and those must be the canonical
     * form of the fields, so that what was signed is what the fields say. */
    char canon[DC_AUDIT_LINE_LEN];
    int n = signed_part(canon, sizeof canon, store, (int64_t)length, head, at, key_id);
    const char *sig_at = strstr(text, " sig=");
    if (n < 0 || !sig_at || sig_at - text != n || memcmp(canon, text, (size_t)n) != 0)
        return "not in the canonical form that is signed";
    if (strcmp(key_id, key->id) != 0) return "signed by another key (key= names a different one)";
    uint8_t sig[SIG_LEN];
    for (int i = 0; i < SIG_LEN; i++)
        sig[i] = (uint8_t)(unhex(sig_hex[2 * i]) << 4 | unhex(sig_hex[2 * i + 1]));
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    bool ok = c && EVP_DigestVerifyInit(c, NULL, NULL, NULL, key->pkey) == 1 &&
              EVP_DigestVerify(c, sig, sizeof sig, (const uint8_t *)text, (size_t)n) == 1;
    EVP_MD_CTX_free(c);
    if (!ok) return "the signature does not verify: the line was forged or edited";
    memcpy(cp->store, store, sizeof store);
    memcpy(cp->head, head, sizeof head);
    memcpy(cp->at, at, sizeof at);
    cp->length = (int64_t)length;
    return NULL;
}

static int by_length(const void *a, const void *b) {
    const audit_checkpoint *x = a, *y = b;
    if (x->length != y->length) return x->length < y->length ? -1 : 1;
    return x->line - y->line;
}

dc_error_class audit_checkpoints_read(const char *path, bool must_exist, const dc_audit_key *key,
                                      audit_checkpoint **cps, int *n, dc_audit_report *rep,
                                      dc_status *st) {
    *cps = NULL;
    *n = 0;
    FILE *f = fopen(path, "re");
    if (!f && errno == ENOENT && !must_exist) return DC_OK;
    if (!f)
        return dc_fail(st, DC_ERR_INPUT, "audit: cannot read the checkpoints %s: %s", path,
                       strerror(errno));
    char *text = NULL;
    size_t cap = 0;
    ssize_t len;
    int line = 0, count = 0, room = 0;
    audit_checkpoint *all = NULL;
    dc_error_class rc = DC_OK;
    while ((len = getline(&text, &cap, f)) >= 0) {
        line++;
        if (len > 0 && text[len - 1] == '\n') text[--len] = '\0';
        if (len == 0 || text[0] == '#') continue;
        if (count == room) {
            room = room ? 2 * room : 64;
            audit_checkpoint *grown = realloc(all, (size_t)room * sizeof *all);
            if (!grown) {
                rc = dc_fail(st, DC_ERR_RESOURCE, "audit: out of memory");
                break;
            }
            all = grown;
        }
        audit_checkpoint *cp = &all[count];
        memset(cp, 0, sizeof *cp);
        cp->line = line;
        const char *why = (size_t)len < DC_AUDIT_LINE_LEN ? check_line(text, key, cp)
                                                          : "longer than any checkpoint line";
        if (why) {
            audit_report(rep, DC_AUDIT_CHECKPOINT_BAD, 0, line, NULL, "checkpoint %s line %d: %s",
                         path, line, why);
            count = 0;
            break;
        }
        count++;
    }
    if (rc == DC_OK && ferror(f))
        rc = dc_fail(st, DC_ERR_RESOURCE, "audit: reading %s failed", path);
    free(text);
    fclose(f);
    if (rc != DC_OK || count == 0) {
        free(all);
        return rc;
    }
    qsort(all, (size_t)count, sizeof *all, by_length);
    rep->checkpoints = count;
    *cps = all;
    *n = count;
    return DC_OK;
}

static dc_error_class append_line(const char *path, const char *line, dc_status *st) {
    char buf[DC_AUDIT_LINE_LEN + 1];
    int n = snprintf(buf, sizeof buf, "%s\n", line);
    struct stat sb;
    bool is_new = stat(path, &sb) != 0;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return dc_fail(st, DC_ERR_RESOURCE, "audit checkpoint: cannot open %s: %s", path,
                       strerror(errno));
    ssize_t w;
    do w = write(fd, buf, (size_t)n);
    while (w < 0 && errno == EINTR);
    /* One write of one short line: with O_APPEND it lands whole at the end, or (disk full) the
     * command fails and says so; a short write is reported too. */
    bool ok = w == n && fsync(fd) == 0;
    int err = w < 0 ? errno : w != n ? ENOSPC : errno;
    close(fd);
    if (!ok)
        return dc_fail(st, DC_ERR_RESOURCE, "audit checkpoint: cannot write %s: %s", path,
                       strerror(err));
    if (is_new) fsync_dir_of(path);
    return DC_OK;
}

dc_error_class dc_store_audit_checkpoint(dc_store *s, const dc_audit_key *key, const char *out_path,
                                         char line[DC_AUDIT_LINE_LEN], dc_audit_report *rep,
                                         dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    line[0] = '\0';
    memset(rep, 0, sizeof *rep);
    if (!key->has_private)
        return dc_fail(st, DC_ERR_INPUT, "audit checkpoint: signing needs the private key");
    audit_checkpoint *cps = NULL;
    int n = 0;
    /* The lines already there are checked first: a chain re-hashed since the last checkpoint
     * must not be signed as if it were the real one. */
    dc_error_class rc = audit_checkpoints_read(out_path, false, key, &cps, &n, rep, st);
    if (rc == DC_OK && rep->finding == DC_AUDIT_INTACT) rc = audit_check(s, cps, n, rep, st);
    free(cps);
    if (rc != DC_OK || rep->finding != DC_AUDIT_INTACT) return rc;
    if (rep->rows == 0)
        return dc_fail(st, DC_ERR_INPUT, "audit checkpoint: the trail is empty: nothing to sign");
    if ((rc = sign_line(key, rep->store_id, rep->rows, rep->head, line, st)) != DC_OK) return rc;
    if ((rc = append_line(out_path, line, st)) != DC_OK) line[0] = '\0';
    return rc;
}
