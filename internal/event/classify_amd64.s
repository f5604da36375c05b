#include "textflag.h"

DATA quoteBytes<>+0(SB)/8, $0x2222222222222222
DATA quoteBytes<>+8(SB)/8, $0x2222222222222222
DATA quoteBytes<>+16(SB)/8, $0x2222222222222222
DATA quoteBytes<>+24(SB)/8, $0x2222222222222222
GLOBL quoteBytes<>(SB), RODATA|NOPTR, $32

DATA backslashBytes<>+0(SB)/8, $0x5c5c5c5c5c5c5c5c
DATA backslashBytes<>+8(SB)/8, $0x5c5c5c5c5c5c5c5c
DATA backslashBytes<>+16(SB)/8, $0x5c5c5c5c5c5c5c5c
DATA backslashBytes<>+24(SB)/8, $0x5c5c5c5c5c5c5c5c
GLOBL backslashBytes<>(SB), RODATA|NOPTR, $32

DATA controlBytes<>+0(SB)/8, $0x1f1f1f1f1f1f1f1f
DATA controlBytes<>+8(SB)/8, $0x1f1f1f1f1f1f1f1f
DATA controlBytes<>+16(SB)/8, $0x1f1f1f1f1f1f1f1f
DATA controlBytes<>+24(SB)/8, $0x1f1f1f1f1f1f1f1f
GLOBL controlBytes<>(SB), RODATA|NOPTR, $32

// func classifyAVX2(b *byte, blocks int, quotes *uint64) (flags uint64)
//
// For each of the 64-byte blocks at b, stores in quotes[k] the bitmap of the
// block's '"' bytes (bit j for byte 64k+j). Returns flagSpecial if any byte
// is a backslash or below 0x20, and flagNonASCII if any byte is >= 0x80.
TEXT ·classifyAVX2(SB), NOSPLIT, $0-32
	MOVQ b+0(FP), SI
	MOVQ blocks+8(FP), CX
	MOVQ quotes+16(FP), DI

	// The constants come from memory: broadcasting them from a general
	// register (MOVQ to X, then VPBROADCASTB) stalled every call on this
	// project's machines for far longer than the blocks take.
	VMOVDQU quoteBytes<>(SB), Y0
	VMOVDQU backslashBytes<>(SB), Y1
	VMOVDQU controlBytes<>(SB), Y2 // the largest control byte, 0x1f
	VPXOR Y7, Y7, Y7    // backslashes and control bytes seen
	VPXOR Y8, Y8, Y8    // every byte or'ed: its top bit is non-ASCII seen

	TESTQ CX, CX
	JZ    done

loop:
	VMOVDQU (SI), Y3
	VMOVDQU 32(SI), Y4

	VPCMPEQB  Y0, Y3, Y5
	VPCMPEQB  Y0, Y4, Y6
	VPMOVMSKB Y5, AX
	VPMOVMSKB Y6, BX
	SHLQ      $32, BX
	ORQ       BX, AX
	MOVQ      AX, (DI)

	VPCMPEQB Y1, Y3, Y5
	VPCMPEQB Y1, Y4, Y6
	VPOR     Y5, Y7, Y7
	VPOR     Y6, Y7, Y7

	VPMINUB  Y2, Y3, Y5 // min(c, 0x1f) == c exactly when c <= 0x1f
	VPCMPEQB Y3, Y5, Y5
	VPMINUB  Y2, Y4, Y6
	VPCMPEQB Y4, Y6, Y6
	VPOR     Y5, Y7, Y7
	VPOR     Y6, Y7, Y7

	VPOR Y3, Y8, Y8
	VPOR Y4, Y8, Y8

	ADDQ $64, SI
	ADDQ $8, DI
	DECQ CX
	JNZ  loop

done:
	XORQ      DX, DX
	VPMOVMSKB Y7, AX
	TESTL     AX, AX
	JZ        ascii
	ORQ       $1, DX // flagSpecial

ascii:
	VPMOVMSKB Y8, AX
	TESTL     AX, AX
	JZ        ret
	ORQ       $2, DX // flagNonASCII

ret:
	VZEROUPPER
	MOVQ DX, flags+24(FP)
	RET
