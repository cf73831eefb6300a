package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"

	"github.com/lookout-hq/lookout/internal/secret"
)

// Key is one AES-256 key of the keyring, as configured in
// LOOKOUT_ENCRYPTION_KEYS. Its bytes are a secret.Value: printing a Key
// shows its id and "[redacted]".
type Key struct {
	ID     string
	Secret secret.Value // 32 bytes
}

// KeyMissingError: a grant is sealed under a key id the keyring does not
// hold (a key was removed from LOOKOUT_ENCRYPTION_KEYS too early). It is
// transient, not stale: putting the key back makes the grant readable
// again, so the grant is left alone and the user is not sent to reconnect.
// It matches ErrUnavailable and ErrDecrypt with errors.Is. The key id is
// for operators (the log); users see no key ids.
type KeyMissingError struct{ KeyID string }

func (e *KeyMissingError) Error() string {
	return fmt.Sprintf("vault: grant sealed with key %q, which is not in LOOKOUT_ENCRYPTION_KEYS; add it back (rotate first to retire it)", e.KeyID)
}

// Is makes errors.Is(err, ErrUnavailable) and errors.Is(err, ErrDecrypt)
// true.
func (e *KeyMissingError) Is(target error) bool {
	return target == ErrUnavailable || target == ErrDecrypt
}

// Keyring seals with its first key and opens with any of them, so keys can
// be rotated by prepending a new one and running Rotate.
type Keyring struct {
	primary string
	ids     []string // as configured, primary first
	aeads   map[string]cipher.AEAD
}

// NewKeyring builds a keyring; the first key encrypts.
func NewKeyring(keys ...Key) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("vault: no encryption keys; set LOOKOUT_ENCRYPTION_KEYS")
	}
	kr := &Keyring{primary: keys[0].ID, aeads: make(map[string]cipher.AEAD, len(keys))}
	for _, k := range keys {
		if k.ID == "" {
			return nil, errors.New("vault: an encryption key has an empty id")
		}
		if _, dup := kr.aeads[k.ID]; dup {
			return nil, fmt.Errorf("vault: encryption key id %q appears twice", k.ID)
		}
		if k.Secret.Len() != 32 {
			return nil, fmt.Errorf("vault: encryption key %q is %d bytes, want 32 (AES-256)", k.ID, k.Secret.Len())
		}
		block, err := aes.NewCipher(k.Secret.RevealBytes())
		if err != nil {
			return nil, fmt.Errorf("vault: key %q: %w", k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("vault: key %q: %w", k.ID, err)
		}
		kr.aeads[k.ID] = aead
		kr.ids = append(kr.ids, k.ID)
	}
	return kr, nil
}

// PrimaryID is the id of the key new ciphertexts are sealed with.
func (kr *Keyring) PrimaryID() string { return kr.primary }

// IDs lists the key ids in the order configured, the primary first.
func (kr *Keyring) IDs() []string { return slices.Clone(kr.ids) }

// Has reports whether the keyring holds the key id.
func (kr *Keyring) Has(id string) bool { _, ok := kr.aeads[id]; return ok }

// seal encrypts plaintext under the primary key. The additional data binds
// the ciphertext to its principal and key id: a row copied to another
// principal, or relabelled with another key id, no longer opens.
// Output: nonce || ciphertext+tag.
func (kr *Keyring) seal(principal string, plaintext []byte) (keyID string, ciphertext []byte, err error) {
	aead := kr.aeads[kr.primary]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", nil, fmt.Errorf("vault: nonce: %w", err)
	}
	return kr.primary, aead.Seal(nonce, nonce, plaintext, additionalData(principal, kr.primary)), nil
}

// open decrypts what seal produced.
func (kr *Keyring) open(principal, keyID string, ciphertext []byte) ([]byte, error) {
	aead, ok := kr.aeads[keyID]
	if !ok {
		return nil, &KeyMissingError{KeyID: keyID}
	}
	n := aead.NonceSize()
	if len(ciphertext) < n+aead.Overhead() {
		return nil, fmt.Errorf("%w: ciphertext too short", ErrDecrypt)
	}
	plaintext, err := aead.Open(nil, ciphertext[:n], ciphertext[n:], additionalData(principal, keyID))
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed (tampered, or stored under another principal)", ErrDecrypt)
	}
	return plaintext, nil
}

func additionalData(principal, keyID string) []byte {
	// Length-prefixed so no two (principal, key) pairs share an encoding.
	return fmt.Appendf(nil, "lookout/grant/v1|%d:%s|%d:%s", len(principal), principal, len(keyID), keyID)
}
