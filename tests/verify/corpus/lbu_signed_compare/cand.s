	.text
	.p2align 4
	.globl	lbu
	.type	lbu, @function
lbu:
.LFB0:
	.cfi_startproc
	xorl	%ecx, %ecx
	jmp	.L3
	.p2align 4,,10
	.p2align 3
.L4:
	movl	%esi, %eax
	subl	%ecx, %eax
	shrl	%eax
	leal	(%rax,%rcx), %r8d
	cmpl	%edx, (%rdi,%r8,4)
	jl	.L7
	movl	%r8d, %esi
.L3:
	cmpl	%esi, %ecx
	jl	.L4
	movl	%ecx, %eax
	ret
	.p2align 4,,10
	.p2align 3
.L7:
	leal	1(%r8), %ecx
	jmp	.L3
	.cfi_endproc
.LFE0:
	.size	lbu, .-lbu
