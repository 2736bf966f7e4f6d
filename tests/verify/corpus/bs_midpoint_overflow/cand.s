	.text
	.p2align 4
	.globl	bs
	.type	bs, @function
bs:
.LFB0:
	.cfi_startproc
	xorl	%ecx, %ecx
	jmp	.L3
	.p2align 4,,10
	.p2align 3
.L4:
	leal	(%rsi,%rcx), %eax
	sarl	%eax
	movslq	%eax, %r8
	cmpl	%edx, (%rdi,%r8,4)
	jl	.L7
	movl	%eax, %esi
.L3:
	cmpl	%ecx, %esi
	jg	.L4
	movl	%ecx, %eax
	ret
	.p2align 4,,10
	.p2align 3
.L7:
	leal	1(%rax), %ecx
	jmp	.L3
	.cfi_endproc
.LFE0:
	.size	bs, .-bs
