package ledger

import "crypto/subtle"

// Verifier checks entries one at a time against the last verified head. It
// is the single verification implementation: [Verify] streams a ledger file
// through one, and the console's live view feeds it entries as they arrive.
// It keeps a constant amount of state whatever the ledger's size.
//
// While the chain is unbroken every entry must carry the next seq, link to
// the previous entry's hash, have an authentic hash (HMAC-SHA256 under the
// audit key over its record) and a known kind. At the first entry that does
// not, the Verifier records a [*ChainError] and then resynchronises on the
// stored entries: each later entry is checked against the stored entry just
// before it, and those that fail on their own are counted ([Verifier.BadAfter]).
//
// The entry right after the first break may refine its reason: a gap
// followed by the missing entry is a reorder, not a deletion; a forged entry
// followed by the genuine entry for its seq is an insertion, not an edit.
// When the very first entry fails and every following entry fails too while
// the stored links stay consistent, the key is wrong ([ReasonWrongKey]).
// [Verifier.Err] returns the refined reason.
//
// A Verifier is not safe for concurrent use.
type Verifier struct {
	m     *macer
	buf   []byte
	start uint64

	// Unbroken chain state.
	next     uint64 // seq expected next
	prev     Hash   // hash the next entry must link to
	verified uint64
	seen     uint64

	// Break state.
	first      *ChainError
	brk        row  // the entry that broke the chain
	refined    bool // the entry after brk has been seen
	last       link // stored entry before the one being checked
	bad        uint64
	keySuspect bool // every entry so far fails its hash with consistent links
}

// row is one stored entry as the verifier sees it.
type row struct {
	pos   uint64 // storage position (the seq column); equals hdr.seq for Check
	hdr   header
	hdrOK bool
	hash  Hash
	macOK bool
	step  uint64 // the record's Step, set for authentic rows read from storage
}

type link struct {
	seq  uint64
	hash Hash
}

// NewVerifier returns a Verifier that expects entry startSeq to link to
// startPrev. Verify a whole ledger with NewVerifier(key, 1, Hash{}); resume
// after a verified head (seq, h) with NewVerifier(key, seq+1, h). A startSeq
// of 0 means 1. Requires a key of [AuditKeySize] bytes.
func NewVerifier(key []byte, startSeq uint64, startPrev Hash) *Verifier {
	if startSeq == 0 {
		startSeq = 1
	}
	return &Verifier{
		m:     newMacer(key),
		start: startSeq,
		next:  startSeq,
		prev:  startPrev,
		last:  link{seq: startSeq - 1, hash: startPrev},
	}
}

// Check verifies the next entry. It returns nil when e extends the verified
// chain. Otherwise it returns a *ChainError: the first break, an entry that
// fails on its own after it, or, for an entry that is consistent with the
// stored entry before it but follows a break, one with [ReasonAfterBreak].
func (v *Verifier) Check(e Entry) error {
	v.buf = AppendRecord(v.buf[:0], &e)
	r := row{pos: e.Seq, hash: e.Hash}
	r.hdr, r.hdrOK = parseHeader(v.buf)
	got := v.m.hash(v.buf)
	r.macOK = subtle.ConstantTimeCompare(got[:], e.Hash[:]) == 1
	if ce := v.check(r); ce != nil {
		return ce
	}
	return nil
}

// checkRaw verifies a stored row: its position, record and hash columns.
func (v *Verifier) checkRaw(pos uint64, rec, hash []byte) *ChainError {
	return v.check(v.m.prepare(pos, rec, hash))
}

func (v *Verifier) check(r row) *ChainError {
	v.seen++
	if v.first == nil {
		if r.macOK && r.hdr.seq == v.next && r.hdr.prev == v.prev && r.hdr.kind.Valid() && r.pos == r.hdr.seq {
			v.verified++
			v.next++
			v.prev = r.hash
			v.last = link{seq: r.hdr.seq, hash: r.hash}
			return nil
		}
		v.first = v.classify(r)
		v.brk = r
		v.keySuspect = v.verified == 0 && r.hdrOK && !r.macOK && r.hdr.seq == v.next && r.hdr.prev == v.prev
		v.last = v.assumed(r)
		c := *v.first
		return &c
	}
	explained := false
	if !v.refined {
		v.refined = true
		explained = v.refine(r)
	}
	if v.keySuspect && (!r.hdrOK || r.macOK || r.hdr.seq != v.last.seq+1 || r.hdr.prev != v.last.hash) {
		v.keySuspect = false
	}
	var ce *ChainError
	if !explained {
		ce = v.ownProblem(r)
	}
	nl := v.assumed(r)
	if ce != nil {
		v.bad++
	} else {
		ce = &ChainError{Seq: nl.seq, Reason: ReasonAfterBreak}
	}
	if explained && v.brk.macOK && v.brk.hdr.seq > nl.seq {
		nl = link{seq: v.brk.hdr.seq, hash: v.brk.hash}
	}
	v.last = nl
	return ce
}

// classify names the first break, at the point where entry v.next linking
// to v.prev was expected. The seq and prev of an entry whose hash does not
// verify are not trusted to explain anything.
func (v *Verifier) classify(r row) *ChainError {
	n := v.next
	if !r.macOK {
		if r.hdrOK && r.hdr.seq == n && r.hdr.prev != v.prev {
			return &ChainError{Seq: n, Reason: ReasonBrokenLink, Want: v.prev, Got: r.hdr.prev}
		}
		return &ChainError{Seq: n, Reason: ReasonEdited, Got: r.hash}
	}
	switch {
	case r.hdr.seq > n:
		return &ChainError{Seq: n, Reason: ReasonDeleted, WantSeq: n, GotSeq: r.hdr.seq}
	case r.hdr.seq < n && r.hash == v.prev:
		return &ChainError{Seq: n, Reason: ReasonDuplicated, WantSeq: n, GotSeq: r.hdr.seq}
	case r.hdr.seq < n:
		return &ChainError{Seq: n, Reason: ReasonReordered, WantSeq: n, GotSeq: r.hdr.seq}
	case r.hdr.prev != v.prev:
		return &ChainError{Seq: n, Reason: ReasonBrokenLink, Want: v.prev, Got: r.hdr.prev}
	case !r.hdr.kind.Valid():
		return &ChainError{Seq: n, Reason: ReasonUnknownKind, Kind: r.hdr.kind}
	default: // authentic, in sequence, but stored at another position
		return &ChainError{Seq: n, Reason: ReasonReordered, WantSeq: n, GotSeq: n, Pos: r.pos}
	}
}

// refine looks at the entry right after the break and reports whether it
// explains the break (so that entry is not counted as bad).
func (v *Verifier) refine(r row) bool {
	genuineNext := r.macOK && r.hdr.seq == v.next && r.hdr.prev == v.prev
	if !genuineNext {
		return false
	}
	switch v.first.Reason {
	case ReasonDeleted:
		// The entry that seemed missing follows: the two were swapped.
		v.first.Reason = ReasonReordered
		return true
	case ReasonEdited, ReasonBrokenLink:
		if !v.brk.macOK {
			// A forged entry sits before the genuine one.
			v.first.Reason = ReasonInserted
			v.first.WantSeq, v.first.GotSeq = v.next, v.next
			v.first.Want, v.first.Got = Hash{}, Hash{}
			return true
		}
	}
	return false
}

// ownProblem checks an entry after the break against the stored entry just
// before it.
func (v *Verifier) ownProblem(r row) *ChainError {
	want := v.last.seq + 1
	switch {
	case !r.macOK:
		return &ChainError{Seq: want, Reason: ReasonEdited, Got: r.hash}
	case r.hdr.seq > want:
		return &ChainError{Seq: want, Reason: ReasonDeleted, WantSeq: want, GotSeq: r.hdr.seq}
	case r.hdr.seq < want && r.hash == v.last.hash:
		return &ChainError{Seq: want, Reason: ReasonDuplicated, WantSeq: want, GotSeq: r.hdr.seq}
	case r.hdr.seq < want:
		return &ChainError{Seq: want, Reason: ReasonReordered, WantSeq: want, GotSeq: r.hdr.seq}
	case r.hdr.prev != v.last.hash:
		return &ChainError{Seq: want, Reason: ReasonBrokenLink, Want: v.last.hash, Got: r.hdr.prev}
	}
	return nil
}

// assumed is where r sits in the stored chain: its own seq when its hash is
// authentic, otherwise the position after the last stored entry.
func (v *Verifier) assumed(r row) link {
	if r.macOK {
		return link{seq: r.hdr.seq, hash: r.hash}
	}
	return link{seq: v.last.seq + 1, hash: r.hash}
}

// Err returns the first break with its refined reason, or nil while the
// chain is intact.
func (v *Verifier) Err() *ChainError {
	if v.first == nil {
		return nil
	}
	c := *v.first
	if c.Reason == ReasonEdited && v.keySuspect && v.seen >= 2 {
		c = ChainError{Seq: v.start, Reason: ReasonWrongKey}
	}
	return &c
}

// Verified returns how many entries were verified before the first break.
func (v *Verifier) Verified() uint64 { return v.verified }

// Seen returns how many entries were checked.
func (v *Verifier) Seen() uint64 { return v.seen }

// BadAfter returns how many entries after the first break also fail on
// their own (against the stored entry before them). With a wrong key every
// entry fails.
func (v *Verifier) BadAfter() uint64 { return v.bad }

// Head returns the last verified entry's seq and hash: the head of the
// unbroken chain. Before any entry is verified it is (startSeq-1, startPrev).
func (v *Verifier) Head() (seq uint64, h Hash) { return v.next - 1, v.prev }

// last returns the seq and hash of the last stored entry checked, as the
// chain sees it (see assumed).
func (v *Verifier) lastStored() link { return v.last }
